"""The submission function's deploy root: Lambda calls `handler.handler`.

Settings are read and validated, and the SQS client created, once at cold start; a missing
or malformed variable fails the init with every problem named (`SettingsError`). The client
comes from botocore itself: boto3 would only add its resource layer and s3transfer, about
100 ms of imports this function never uses. It gives up quickly (Lambda timeout 10 s in
infra/backend.yaml; the whole send within `reportal.submit.queue.SEND_DEADLINE_SECONDS`, 6 s)
so the reporter sees the 503 page ("not received, try again") rather than a gateway timeout. Region, credentials and `AWS_ENDPOINT_URL` come from the
environment as for any AWS SDK.
"""
import botocore.session
from botocore.config import Config

from reportal.submit.app import make_handler
from reportal.submit.settings import Settings

SQS_CONFIG = Config(connect_timeout=2, read_timeout=3, retries={"mode": "standard", "max_attempts": 2})

handler = make_handler(Settings.from_env(), botocore.session.get_session().create_client("sqs", config=SQS_CONFIG))
