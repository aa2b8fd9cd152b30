"""API tokens on the REST API (libvirt's test driver; the queue's real Redis): a token is shown
once and stored hashed; it acts as its user, never more — read-only tokens only read, host-limited
ones see only their hosts; expired, revoked and unknown tokens are refused; every error has one
JSON shape with the pages' own messages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from instances.models import Instance, InstanceState
from jobs.models import Operation, OperationStatus

pytestmark = pytest.mark.django_db


def call(client, method: str, url: str, token: str = "", **data):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return getattr(client, method)(url, data, content_type="application/json", **headers)


@pytest.fixture
def other(hosts):
    """An instance on beta, next to `instance` on alpha."""
    return Instance.objects.create(host=hosts["beta"], uuid="0f8f6a53-5c55-4b4f-9d0a-3a9a4b7e9a10", name="db-1",
                                   state=InstanceState.SHUTOFF)  # fmt: skip


def test_a_token_is_shown_once_and_stored_hashed(operator):
    token, text = ApiToken.issue(user=operator, name="ci")
    assert text.startswith(f"lvc_{token.key_id}_") and len(text) > 50
    stored = ApiToken.objects.filter(pk=token.pk).values()[0]
    secret = text.removeprefix(f"lvc_{token.key_id}_")  # (the secret itself may hold an underscore)
    assert len(secret) > 30 and text not in str(stored) and secret not in str(stored)


def test_a_token_acts_as_its_user(client, operator, instance, other, rq_worker):
    _token, text = ApiToken.issue(user=operator, name="ci")
    listed = call(client, "get", reverse("api-instance-list") + "?sort=-name", text).json()
    assert [row["name"] for row in listed["results"]] == ["web-1", "db-1"] and listed["count"] == 2
    response = call(client, "post", reverse("api-instance-action", args=[instance.pk, "stop"]), text)
    op = Operation.objects.get()
    assert response.status_code == 202 and response["Location"] == reverse("api-operation-detail", args=[op.pk])
    assert (response.json()["kind"], op.user, op.target_id) == ("instance.stop", operator, str(instance.pk))
    assert ApiToken.objects.get(name="ci").last_used is not None


def test_a_read_only_token_only_reads(client, operator, instance):
    _token, text = ApiToken.issue(user=operator, name="dashboards", read_only=True)
    assert call(client, "get", reverse("api-instance-detail", args=[instance.pk]), text).status_code == 200
    response = call(client, "post", reverse("api-instance-action", args=[instance.pk, "stop"]), text)
    assert response.status_code == 403 and not Operation.objects.exists()
    message = "The API token 'dashboards' is read-only: it cannot change anything."
    assert response.json() == {"error": {"status": 403, "message": message, "fields": {}}}


def test_a_host_limited_token_sees_only_its_hosts(client, operator, hosts, instance, other):
    token, text = ApiToken.issue(user=operator, name="beta only", hosts=[hosts["beta"]])
    listed = call(client, "get", reverse("api-instance-list"), text).json()
    assert [row["name"] for row in listed["results"]] == ["db-1"]
    assert [row["name"] for row in call(client, "get", reverse("api-host-list"), text).json()["results"]] == ["beta"]
    response = call(client, "get", reverse("api-instance-detail", args=[instance.pk]), text)
    assert response.status_code == 404 and response.json()["error"]["message"] == "No instance here."


@pytest.mark.parametrize("how", ["expired", "revoked", "unknown", "malformed"])
def test_expired_revoked_and_unknown_tokens_are_refused(client, operator, instance, how):
    token, text = ApiToken.issue(user=operator, name="old")
    if how == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires=timezone.now() - timedelta(seconds=1))
    elif how == "revoked":
        ApiToken.objects.filter(pk=token.pk).update(revoked=timezone.now())
    elif how == "unknown":
        text = text[:-4] + "AAAA"
    else:
        text = "not-a-token"
    response = call(client, "get", reverse("api-instance-list"), text)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    expected = {"expired": "The API token 'old' is expired.", "revoked": "The API token 'old' is revoked.",
                "unknown": "This API token is not valid.",
                "malformed": "The Authorization header must be: Bearer lvc_<key>_<secret>."}  # fmt: skip
    assert response.json()["error"]["message"] == expected[how]


def test_waiting_for_an_operation_returns_it_once_it_has_ended(client, operator, instance):
    _token, text = ApiToken.issue(user=operator, name="ci")
    op = Operation.objects.create(kind="instance.start", target_type="instance", target_id=str(instance.pk),
                                  target_name="web-1", host=instance.host, user=operator,
                                  status=OperationStatus.SUCCEEDED, message="Started")  # fmt: skip
    answer = call(client, "get", reverse("api-operation-wait", args=[op.pk]) + "?timeout=5", text).json()
    assert (answer["status"], answer["message"]) == ("succeeded", "Started")
    Operation.objects.filter(pk=op.pk).update(status=OperationStatus.RUNNING)
    answer = call(client, "get", reverse("api-operation-wait", args=[op.pk]) + "?timeout=1", text).json()
    assert answer["status"] == "running"  # after the timeout, as it is


def test_bad_input_gets_the_pages_message_and_changes_nothing(client, operator, instance):
    _token, text = ApiToken.issue(user=operator, name="ci")
    response = call(client, "post", reverse("api-instance-action", args=[instance.pk, "start"]), text)
    assert response.status_code == 409 and not Operation.objects.exists()
    assert response.json()["error"]["message"] == "Start is not possible while web-1 is running."
    response = call(client, "post", reverse("api-instance-action", args=[instance.pk, "no-such"]), text)
    assert response.status_code == 404 and response.json()["error"]["message"] == "No action 'no-such'."


def test_the_schema_is_openapi_3_and_names_the_token_scheme(client, operator):
    _token, text = ApiToken.issue(user=operator, name="ci")
    schema = call(client, "get", reverse("api-schema") + "?format=json", text).json()
    assert schema["openapi"].startswith("3.") and schema["info"]["version"] == "1"
    assert "/api/v1/instances/{id}/actions/{name}/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"


def test_a_body_that_is_not_an_object_is_refused(client, operator, instance):
    _token, text = ApiToken.issue(user=operator, name="ci")
    response = client.post(reverse("api-snapshot-create", args=[instance.pk]), [1, 2], content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {text}")  # fmt: skip
    assert response.status_code == 400 and response.json()["error"]["message"] == "Send a JSON object."
