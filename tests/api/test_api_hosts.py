"""Hosts through the API (libvirt's test driver): adding and changing one queue the same job as the
pages (the connection tested before anything is saved; the secret encrypted in its input), removing
one is audited, and a token limited to some hosts cannot add another."""

import pytest
from django.urls import reverse

from api.models import ApiToken
from audit.models import AuditAction, AuditEntry
from hosts.credentials import decrypt
from hosts.models import Host
from jobs.models import Operation
from tests.support.api import call

pytestmark = pytest.mark.django_db


def test_a_host_is_added_changed_checked_and_removed_as_on_its_pages(client, operator, hosts, rq_worker):
    _token, secret = ApiToken.issue(user=operator, name="ansible")
    body = {"name": "delta", "uri": "qemu+ssh://root@delta/system", "credential_kind": "password",
            "username": "root", "secret": "s3cret"}  # fmt: skip
    added = call(client, "post", reverse("api-host-list"), secret, body)
    assert added.status_code == 202, added.content
    op = Operation.objects.get(pk=added.json()["id"])
    assert (op.kind, op.params["fields"]["name"], op.params["fields"]["uri"]) == ("host.save", "delta", body["uri"])
    assert "s3cret" not in str(op.params) and decrypt(op.params["secret"]) == "s3cret"

    beta = hosts["beta"]
    changed = call(client, "put", reverse("api-host-detail", args=[beta.pk]), secret, {"name": "beta-2"})
    fields = Operation.objects.get(pk=changed.json()["id"]).params["fields"]
    assert (fields["name"], fields["uri"]) == ("beta-2", beta.uri)  # what was not sent keeps its value

    refused = call(client, "post", reverse("api-host-list"), secret, {"name": "", "uri": "http://nope"})
    assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"name", "uri"}

    checked = call(client, "post", reverse("api-host-check", args=[beta.pk]), secret)
    assert checked.status_code == 202 and checked.json()["kind"] == "host.check"


def test_removing_a_host_is_audited_and_a_host_limited_token_cannot_add_one(client, admin_user, hosts):
    _token, secret = ApiToken.issue(user=admin_user, name="cleanup")
    assert call(client, "delete", reverse("api-host-detail", args=[hosts["gamma"].pk]), secret).status_code == 204
    assert not Host.objects.filter(name="gamma").exists()
    assert AuditEntry.objects.get(action=AuditAction.HOST_REMOVE).object_name == "gamma"
    _token, limited = ApiToken.issue(user=admin_user, name="alpha only", hosts=[hosts["alpha"]])
    refused = call(client, "post", reverse("api-host-list"), limited, {"name": "x", "uri": "test:///default"})
    assert refused.status_code == 403 and "limited to some hosts" in refused.json()["error"]["message"]
