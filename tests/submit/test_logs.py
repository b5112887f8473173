"""Nothing identifying reaches a log on any path, even with every Powertools debug switch on.

GIVEN a fresh interpreter with POWERTOOLS_LOGGER_LOG_EVENT, POWERTOOLS_DEBUG, POWERTOOLS_DEV,
POWERTOOLS_EVENT_HANDLER_DEBUG on, the root logger at DEBUG and the real deploy root
(lambda/handler.py, settings from the environment), WHEN an event whose source IP, user agent,
headers and every field hold sentinels goes through success, refusal, honeypot, queue failure,
sealing failure, an unexpected exception and a malformed event, THEN stdout and stderr (where
Lambda's logs go) hold none of the sentinels.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT


SCRIPT = r'''
import copy, json, logging, os, runpy, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)  # a chatty runtime: everything at DEBUG
from moto import mock_aws
from reportal.envelope import recipient_of

with mock_aws():
    import boto3
    from reportal.local_aws import create_queues
    os.environ["REPORTAL_QUEUE_URL"] = create_queues(boto3.client("sqs"), "logs-test")
    os.environ["REPORTAL_RECIPIENTS"] = recipient_of(__import__("pathlib").Path(sys.argv[2]))
    root = runpy.run_path(sys.argv[3])  # the real deploy root: lambda/handler.py
    handler = root["handler"]
    import reportal.submit.app as app
    event = json.loads(open(sys.argv[1], encoding="utf-8").read())
    statuses = []
    def run(ev):
        statuses.append(handler(copy.deepcopy(ev), None)["statusCode"])

    run(event)                                                   # success
    bad = copy.deepcopy(event)
    bad["body"], bad["isBase64Encoded"] = "portal=bz&lang=es&kind=SENTINEL-KIND&url=SENTINEL-BAD%3Ax&notes=SENTINEL-NOTES", False
    run(bad)                                                     # refusal
    trap = copy.deepcopy(bad)
    trap["body"] = "portal=bz&lang=es&url=a.example&trap=SENTINEL-HONEYPOT"
    run(trap)                                                    # honeypot
    big = copy.deepcopy(bad)
    big["body"] = "portal=bz&lang=es&url=a.example&notes=" + "SENTINEL-BIG" * 6000
    run(big)                                                     # body too large
    j = copy.deepcopy(bad)
    j["headers"]["content-type"] = "application/json"
    j["body"] = '{"portal": "bz", "url": "SENTINEL-JSON", "notes": 7, "trap": ["SENTINEL-J2"]}'
    run(j)                                                       # JSON field type
    j["body"] = '{"portal": "SENTINEL-JSON' + "[" * 50000
    run(j)                                                       # broken JSON
    from botocore.exceptions import ClientError, EndpointConnectionError
    def refuse(**kw):
        raise EndpointConnectionError(endpoint_url="https://SENTINEL-ENDPOINT")
    original_send = app.send_envelope
    app.send_envelope = lambda sqs, url, body: original_send(type("S", (), {"send_message": staticmethod(refuse)})(), url, body)
    run(event)                                                   # queue failure
    def client_error(**kw):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "SENTINEL-AWS " + kw["MessageBody"][:10]}}, "SendMessage")
    app.send_envelope = lambda sqs, url, body: original_send(type("S", (), {"send_message": staticmethod(client_error)})(), url, body)
    run(event)                                                   # queue refusal
    app.send_envelope = original_send
    original_seal = app.seal
    def broken_seal(report, recipients):
        raise __import__("reportal.envelope", fromlist=["EnvelopeError"]).EnvelopeError("SENTINEL-SEAL " + report["notes"])
    app.seal = broken_seal
    run(event)                                                   # sealing failure
    app.seal = original_seal
    original_validate = app.validate_report
    def crash(fields, site):
        raise ValueError("SENTINEL-CRASH " + repr(fields))
    app.validate_report = crash
    run(event)                                                   # unexpected exception
    app.validate_report = original_validate
    broken = copy.deepcopy(event)
    del broken["requestContext"]
    run(broken)                                                  # malformed event
    print("STATUSES " + json.dumps(statuses), flush=True)
'''


def test_no_sentinel_in_any_log_with_every_debug_switch_on(tmp_path: Path, built: dict[str, Path],
                                                           identity_file: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "REPORTAL_"))}
    env.update({
        "POWERTOOLS_LOGGER_LOG_EVENT": "true", "POWERTOOLS_DEBUG": "true", "POWERTOOLS_DEV": "true",
        "POWERTOOLS_EVENT_HANDLER_DEBUG": "true", "POWERTOOLS_LOG_LEVEL": "DEBUG",
        "POWERTOOLS_SERVICE_NAME": "reportal-submit", "POWERTOOLS_METRICS_NAMESPACE": "Reportal",
        "REPORTAL_DATA_DIR": str(built["function"]), "PYTHONPATH": str(ROOT),
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-2",
    })
    env.pop("AWS_ENDPOINT_URL", None)
    event = ROOT / "tests" / "events" / "sentinel-everywhere.json"
    done = subprocess.run([sys.executable, str(script), str(event), str(identity_file),
                           str(ROOT / "lambda" / "handler.py")],
                          env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, done.stderr[-3000:]
    statuses = json.loads(done.stdout.split("STATUSES ", 1)[1])
    assert statuses == [303, 400, 303, 400, 400, 400, 503, 503, 503, 503, 400]
    # The logs were really captured: Powertools lines, EMF lines and botocore's DEBUG chatter.
    for expected in ("report accepted", "report refused", "honeypot filled", "report not received",
                     "unexpected error", "unexpected event", '"ReportAccepted"', "botocore"):
        assert expected in output, expected
    assert "SENTINEL" not in output, [line for line in output.splitlines() if "SENTINEL" in line][:5]
