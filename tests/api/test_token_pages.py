"""The API tokens page: a new token's secret is shown once and never again, its limits are listed,
Revoke refuses it from then on, another user's token cannot be revoked, both are audited; an
operation asked for with a token names it in the audit log."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from api.models import ApiToken
from audit.models import AuditAction, AuditEntry
from audit.services import record_operation
from jobs.models import Operation

pytestmark = pytest.mark.django_db


def test_a_new_tokens_secret_is_shown_once_and_revoke_ends_it(client_for, operator, hosts, instance, rq_worker):
    client = client_for(operator)
    response = client.post(reverse("api-tokens"), {"name": "ci", "read_only": "", "hosts": [hosts["alpha"].pk]})
    secret = re.search(r'<code id="new-token">(lvc_[\w-]+)</code>', response.content.decode()).group(1)
    assert response["Cache-Control"] == "no-store"
    page = client.get(reverse("api-tokens")).content.decode()
    assert secret not in page and "hosts: alpha" in page and "active" in page
    again = client.post(reverse("api-tokens"), {"name": "ci"})
    assert "You already have a token named &#x27;ci&#x27;." in again.content.decode()

    api = Client()  # a script: the token alone
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    response = api.post(reverse("api-instance-action", args=[instance.pk, "pause"]), {}, "application/json", **auth)
    op = Operation.objects.get(pk=response.json()["id"])
    assert op.via == "API token 'ci'"
    record_operation(op.pk)
    assert "via API token 'ci'" in AuditEntry.objects.get(action=AuditAction.OPERATION).detail

    token = ApiToken.objects.get(name="ci")
    client.post(reverse("api-token-revoke", args=[token.pk]))
    assert api.get(reverse("api-instance-list"), **auth).status_code == 401
    assert "revoked" in client.get(reverse("api-tokens")).content.decode()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {AuditAction.TOKEN_ADD, AuditAction.TOKEN_REVOKE} <= actions


def test_another_users_token_cannot_be_revoked(client_for, operator, viewer):
    token, _secret = ApiToken.issue(user=viewer, name="theirs")
    assert client_for(operator).post(reverse("api-token-revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked is None


def test_a_past_expiry_is_refused(client_for, operator):
    response = client_for(operator).post(reverse("api-tokens"), {"name": "old", "expires": "2020-01-01"})
    assert "Choose a day after today." in response.content.decode() and not ApiToken.objects.exists()
