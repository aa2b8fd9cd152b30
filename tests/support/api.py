"""Calling the API as a script does: JSON bodies, an API token in the Authorization header."""

from django.test import Client

from jobs.models import Operation, OperationStatus
from tests.support.waiting import wait_for_operation


def call(client: Client, method: str, url: str, secret: str, body=None):
    return getattr(client, method)(url, body or {}, content_type="application/json",
                                   HTTP_AUTHORIZATION=f"Bearer {secret}")  # fmt: skip


def ran(client: Client, url: str, secret: str, body=None) -> Operation:
    """POST, which must queue an operation (202), and that operation once it has succeeded."""
    answer = call(client, "post", url, secret, body)
    assert answer.status_code == 202, answer.content
    op = wait_for_operation(answer.json()["id"], timeout=60)
    assert op.status == OperationStatus.SUCCEEDED, op.error
    return op
