"""Grants through the API (superusers): a grant added with the page's form gives its user the host
at once, is audited with the token's name, and removed takes the host away again."""

import pytest
from django.urls import reverse

from api.models import ApiToken
from audit.models import AuditAction, AuditEntry
from tests.support.api import call

pytestmark = pytest.mark.django_db


def hosts_seen(client, secret: str) -> list[str]:
    return [host["name"] for host in call(client, "get", reverse("api-host-list"), secret).json()["results"]]


def test_a_grant_given_and_taken_back_through_the_api(client, admin_user, ungranted_operator, hosts):
    _token, admin = ApiToken.issue(user=admin_user, name="provisioning")
    _token, theirs = ApiToken.issue(user=ungranted_operator, name="theirs")
    assert hosts_seen(client, theirs) == []

    body = {"role": "operator", "user": ungranted_operator.pk, "host": hosts["alpha"].pk}
    added = call(client, "post", reverse("api-grant-list"), admin, body)
    assert added.status_code == 201, added.content
    grant = added.json()
    assert (grant["user"], grant["host"], grant["created_by"]) == ("ungranted", hosts["alpha"].pk, "admin")
    assert hosts_seen(client, theirs) == ["alpha"]
    entry = AuditEntry.objects.get(action=AuditAction.GRANT_ADD)
    assert (entry.username, entry.detail) == ("admin", "(via API token 'provisioning')")

    both = call(client, "post", reverse("api-grant-list"), admin, {**body, "group": 1})
    assert both.status_code == 400 and both.json()["error"]["message"].startswith("group: Select a valid choice")
    no_one = call(client, "post", reverse("api-grant-list"), admin, {"role": "viewer"})
    assert no_one.status_code == 400 and no_one.json()["error"]["message"].startswith(
        "Choose either a user or a group."
    )
    assert call(client, "get", reverse("api-grant-list"), theirs).status_code == 403  # only administrators

    removed = call(client, "delete", reverse("api-grant-detail", args=[grant["id"]]), admin)
    assert removed.status_code == 204 and hosts_seen(client, theirs) == []
    assert AuditEntry.objects.filter(action=AuditAction.GRANT_REMOVE).count() == 1
