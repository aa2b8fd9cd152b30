"""Adding, editing and removing hosts: the connection is tested first, nothing half-saved."""

import logging

import pytest
from django.urls import reverse

from hosts.credentials import CredentialKind, decrypt
from hosts.models import Host, HostStatus
from instances.models import Instance
from jobs.models import Operation, OperationStatus
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.django_db(transaction=True)
FAKE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"


def form(**overrides):
    data = {"name": "lab", "uri": "test:///default", "console_address": "", "credential_kind": "none",
            "username": "", "secret": ""}  # fmt: skip
    return {**data, **overrides}


def add(client, **overrides):
    return client.post(reverse("host-add"), form(**overrides))


def test_adding_a_host_tests_it_then_saves_it_with_its_facts(client_for, operator, rq_worker):
    response = add(client_for(operator), name='Lab <b>"ü"</b>')

    op = Operation.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("operation-detail", args=[op.pk])
    op = wait_for_operation(op.pk)
    assert op.status == OperationStatus.SUCCEEDED, op.error
    host = Host.objects.get()
    assert (host.name, host.status, host.transport) == ('Lab <b>"ü"</b>', HostStatus.UP, "test")
    assert host.capabilities["guest_types"] and host.resources["vcpus_total"] == 16
    assert op.result["url"] == reverse("host-detail", args=[host.pk])
    page = client_for(operator).get(reverse("host-list")).content.decode()
    assert "Lab &lt;b&gt;&quot;ü&quot;&lt;/b&gt;" in page and "<b>" not in page


def test_an_unreachable_host_is_not_saved(client_for, operator, rq_worker):
    add(client_for(operator), uri="qemu+tcp://127.0.0.1:1/system")

    op = wait_for_operation(Operation.objects.get().pk)
    assert op.status == OperationStatus.FAILED
    assert "Host unreachable" in op.error and "Connection refused" in op.error
    assert not Host.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"uri": "xen:///"}, "uri", "Unknown hypervisor driver"),
        ({"uri": "qemu+ssh:///system"}, "uri", "names the host"),
        ({"name": "bad\x07name"}, "name", "control characters"),
        ({"name": ""}, "name", "required"),
        ({"credential_kind": "password", "secret": "pw"}, "username", "user name"),
        ({"credential_kind": "password", "username": "root"}, "secret", "Enter the password"),
        ({"credential_kind": "ssh_key", "secret": FAKE_KEY}, "credential_kind", "only with an ssh URI"),
        (
            {"uri": "qemu+ssh://root@h/system", "credential_kind": "ssh_key", "secret": "hunter2"},
            "secret",
            "not a private key",
        ),
        ({"console_address": "a b;rm"}, "console_address", "host name or an IP"),
        ({"credential_kind": "bogus"}, "credential_kind", "valid choice"),
    ],
)
def test_bad_forms_are_refused_with_a_message_and_start_nothing(
    client_for, operator, rq_worker, overrides, field, message
):
    response = add(client_for(operator), **overrides)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Operation.objects.exists() and not Host.objects.exists()


def test_a_taken_name_or_uri_is_refused(client_for, operator, rq_worker):
    Host.objects.create(name="lab", uri="test:///default")
    response = add(client_for(operator), uri="qemu:///system")
    assert "already exists" in " ".join(response.context["form"].errors["name"])
    response = add(client_for(operator), name="other")
    assert "already exists" in " ".join(response.context["form"].errors["uri"])


def test_secrets_are_stored_encrypted_and_never_shown_or_logged(client_for, operator, rq_worker, caplog):
    caplog.set_level(logging.DEBUG)
    add(client_for(operator), uri="test:///default", credential_kind="password", username="root", secret="s3cr3t-pw")
    op = wait_for_operation(Operation.objects.get().pk)
    assert op.status == OperationStatus.SUCCEEDED, op.error

    host = Host.objects.get()
    assert host.credential_kind == CredentialKind.PASSWORD
    assert "s3cr3t-pw" not in host.secret and decrypt(host.secret) == "s3cr3t-pw"
    assert "s3cr3t-pw" not in str(op.params)
    client = client_for(operator)
    for url in [reverse("host-detail", args=[host.pk]), reverse("host-edit", args=[host.pk]), reverse("host-list"),
                reverse("operation-detail", args=[op.pk])]:  # fmt: skip
        body = client.get(url).content.decode()
        assert "s3cr3t-pw" not in body and host.secret not in body
    assert "s3cr3t-pw" not in caplog.text


def test_editing_keeps_the_secret_when_left_empty(client_for, operator, rq_worker):
    host = Host.objects.create(name="lab", uri="test:///default")
    client = client_for(operator)
    client.post(reverse("host-edit", args=[host.pk]), form(credential_kind="password", username="u", secret="first"))
    wait_for_operation(Operation.objects.latest("pk").pk)
    client.post(reverse("host-edit", args=[host.pk]), form(name="renamed", credential_kind="password", username="u"))
    op = wait_for_operation(Operation.objects.latest("pk").pk)

    assert op.status == OperationStatus.SUCCEEDED, op.error
    host.refresh_from_db()
    assert host.name == "renamed" and decrypt(host.secret) == "first"


def test_a_failed_edit_changes_nothing(client_for, operator, rq_worker):
    host = Host.objects.create(name="lab", uri="test:///default")
    client_for(operator).post(
        reverse("host-edit", args=[host.pk]), form(name="moved", uri="qemu+tcp://127.0.0.1:1/system")
    )
    op = wait_for_operation(Operation.objects.get().pk)

    assert op.status == OperationStatus.FAILED
    host.refresh_from_db()
    assert (host.name, host.uri) == ("lab", "test:///default")


def test_host_forms_need_the_right_permission(client_for, viewer, rq_worker):
    host = Host.objects.create(name="lab", uri="test:///default")
    client = client_for(viewer)
    assert client.get(reverse("host-add")).status_code == 403
    assert add(client).status_code == 403
    assert client.post(reverse("host-edit", args=[host.pk]), form(name="x")).status_code == 403
    assert client.post(reverse("host-delete", args=[host.pk])).status_code == 403
    assert not Operation.objects.exists() and Host.objects.get().name == "lab"


def test_missing_hosts_are_404(client_for, admin_user):
    client = client_for(admin_user)
    for name in ["host-detail", "host-edit", "host-delete"]:
        assert client.get(reverse(name, args=[4242])).status_code == 404


def test_host_forms_need_login(client):
    response = client.get(reverse("host-add"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_removing_asks_first_then_forgets_the_host(client_for, admin_user):
    host = Host.objects.create(name="lab", uri="test:///default")
    client = client_for(admin_user)
    assert "Remove lab?" in client.get(reverse("host-delete", args=[host.pk])).content.decode()
    assert Host.objects.exists()
    assert client.put(reverse("host-delete", args=[host.pk])).status_code == 405

    client.post(reverse("host-delete", args=[host.pk]))
    assert not Host.objects.exists()


def test_removing_a_host_forgets_its_inventory_and_says_so_first(client_for, admin_user):
    host = Host.objects.create(name="lab", uri="test:///default")
    Instance.objects.create(host=host, uuid="6695eb01-f6a4-8304-79aa-97f2502e193f", name="vm")
    client = client_for(admin_user)
    assert "forgets the 1 instance it lists" in client.get(reverse("host-delete", args=[host.pk])).content.decode()
    client.post(reverse("host-delete", args=[host.pk]))
    assert not Host.objects.exists() and not Instance.objects.exists()
