"""A qemu+ssh host with an SSH key kept encrypted by the console: a real sshd, the real libvirtd."""

import pytest
from django.urls import reverse

from hosts.credentials import CredentialKind
from hosts.models import Host, HostStatus
from jobs.models import Operation, OperationStatus
from tests.support.sshd import PrivateSshd
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sshd(tmp_path, qemu_conn, monkeypatch):
    server = PrivateSshd(tmp_path / "sshd").start()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(server.config_home))  # libvirt's known_hosts, kept private
    yield server
    server.stop()


def add_ssh_host(client, sshd, key: str):
    return client.post(
        reverse("host-add"),
        {
            "name": "over ssh",
            "uri": sshd.uri(),
            "console_address": "",
            "credential_kind": "ssh_key",
            "username": "",
            "secret": key,
        },  # fmt: skip
    )


def test_an_ssh_host_with_a_key_is_added_and_answers(client_for, operator, rq_worker, sshd):
    add_ssh_host(client_for(operator), sshd, sshd.client_key)

    op = wait_for_operation(Operation.objects.get().pk)
    assert op.status == OperationStatus.SUCCEEDED, op.error
    host = Host.objects.get()
    assert (host.transport, host.credential_kind, host.status) == ("ssh", CredentialKind.SSH_KEY, HostStatus.UP)
    assert host.hypervisor.startswith("QEMU")
    assert sshd.client_key.strip() not in host.secret


def test_a_wrong_key_is_refused_with_an_authentication_error(client_for, operator, rq_worker, sshd, tmp_path):
    other = PrivateSshd(tmp_path / "other")  # a key sshd does not know
    add_ssh_host(client_for(operator), sshd, other.client_key)

    op = wait_for_operation(Operation.objects.get().pk)
    assert op.status == OperationStatus.FAILED
    assert "auth" in op.error.lower()
    assert not Host.objects.exists()
