"""The submission function's deploy root: Lambda calls `handler.handler`.

Settings are read and the SQS client created once, at cold start.
"""
import boto3

from reportal.submit.app import make_handler
from reportal.submit.settings import Settings

handler = make_handler(Settings.from_env(), boto3.client("sqs"))
