"""What a user types into the host form cannot reach the console's own machine: URI parameters that
name programs, sockets or files (or turn a check off) are refused, and a refused form never sends
the submitted secret back into the page."""

import pytest
from django.urls import reverse

from hosts.credentials import encrypt
from hosts.forms import HostForm
from hosts.models import Host
from jobs.models import Operation, OperationStatus
from tests.hosts.test_host_forms import form
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.django_db(transaction=True)
KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAsecret-key-body\n-----END OPENSSH PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("qemu+ssh://root@h/system?command=/bin/sh", "'command' is not accepted: it runs a program"),
        ("qemu+ssh://root@h/system?netcat=/tmp/x", "'netcat' is not accepted"),
        ("qemu+ssh://root@h/system?proxy=native", "'proxy' is not accepted"),
        ("qemu+libssh2://root@h/system?keyfile=/root/.ssh/id_rsa", "'keyfile' is not accepted"),
        ("qemu+libssh2://root@h/system?known_hosts=/etc/passwd", "'known_hosts' is not accepted"),
        ("qemu+libssh://root@h/system?known_hosts_verify=ignore", "known_hosts_verify=ignore is not accepted"),
        ("qemu+unix:///system?socket=/run/other.sock", "'socket' is not accepted"),
        ("qemu:///system?SOCKET=/run/other.sock", "'SOCKET' is not accepted"),
        ("qemu+tls://h/system?no_verify=1", "'no_verify' is not accepted: it turns off the check"),
        ("qemu+tls://h/system?pkipath=/tmp", "'pkipath' is not accepted"),
        ("qemu+tcp://h/system?name=xen:///", "'name' is not accepted"),
        ("qemu+tls://h/system?mode=direct", "'mode' is not one a qemu+tls URI takes here (allowed: none)"),
        ("test:///default?anything=1", "'anything' is not one a test URI takes here"),
        ("qemu+ssh://root@h/system?mode=auto&mode=direct", "'mode' is given twice"),
        ("qemu+ssh://root@h/system?mode=auto;command=/bin/sh", "'mode' takes auto or direct or legacy"),
        ("qemu+libssh2://root@h/system?sshauth=privkey,gssapi", "'sshauth' takes"),
        ("qemu:///system#frag", "no #fragment"),
    ],
)
def test_uri_parameters_a_user_may_not_give_are_refused_by_name_and_nothing_starts(
    client_for, operator, rq_worker, uri, message
):
    response = client_for(operator).post(reverse("host-add"), form(uri=uri))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["uri"])
    assert not Operation.objects.exists() and not Host.objects.exists()


@pytest.mark.parametrize(
    "uri",
    [
        "qemu:///system?mode=legacy",
        "qemu+ssh://root@h/system?no_tty=1&mode=auto",
        "qemu+libssh2://root@h:2222/system?sshauth=agent,privkey&known_hosts_verify=auto",
        "qemu+libssh://root@h/system?known_hosts_verify=normal",
        "qemu+tls://h/system",
    ],
)
def test_the_parameters_each_transport_needs_are_kept(uri):
    assert HostForm(form(uri=uri)).is_valid()


def test_editing_keeps_a_stored_uri_but_refuses_a_typed_one(client_for, operator, rq_worker):
    host = Host.objects.create(name="private", uri="qemu+unix:///system?socket=/run/lvc-test/libvirt-sock")
    assert HostForm(form(name="renamed", uri=host.uri), instance=host).is_valid()  # set up outside the form

    response = client_for(operator).post(
        reverse("host-edit", args=[host.pk]), form(name="renamed", uri="qemu+unix:///system?socket=/run/x")
    )

    assert "'socket' is not accepted" in " ".join(response.context["form"].errors["uri"])
    assert not Operation.objects.exists()
    host.refresh_from_db()
    assert (host.name, host.uri) == ("private", "qemu+unix:///system?socket=/run/lvc-test/libvirt-sock")


@pytest.mark.parametrize(
    "overrides",
    [
        {"credential_kind": "password", "username": "root", "secret": "s3cr3t-typed-pw", "console_address": "a b"},
        {"credential_kind": "ssh_key", "secret": KEY, "uri": "qemu+ssh://root@h/system?command=/bin/sh"},
        {"credential_kind": "password", "secret": "s3cr3t-typed-pw"},  # no user name
    ],
)
def test_a_refused_form_never_sends_the_secret_back(client_for, operator, rq_worker, overrides):
    secret = overrides["secret"]
    response = client_for(operator).post(reverse("host-add"), form(**overrides))

    body = response.content.decode()
    assert response.status_code == 200 and response.context["form"].errors
    assert secret not in body and "secret-key-body" not in body and "s3cr3t" not in body
    assert "Type it again: a secret is never sent back to the page." in body
    assert not Operation.objects.exists()


def test_a_refused_edit_shows_neither_the_typed_nor_the_stored_secret(client_for, operator, rq_worker):
    host = Host.objects.create(name="lab", uri="test:///default", credential_kind="password", username="root",
                               secret=encrypt("stored-pw"))  # fmt: skip
    response = client_for(operator).post(
        reverse("host-edit", args=[host.pk]),
        form(credential_kind="password", username="root", secret="new-s3cr3t", uri="test:///default?x=1"),
    )

    body = response.content.decode()
    assert "new-s3cr3t" not in body and "stored-pw" not in body and host.secret not in body
    assert not Operation.objects.exists()
    host.refresh_from_db()
    assert host.uri == "test:///default"


def test_a_valid_form_still_saves_the_secret(client_for, operator, rq_worker):
    client_for(operator).post(
        reverse("host-add"), form(credential_kind="password", username="root", secret="s3cr3t-typed-pw")
    )
    assert wait_for_operation(Operation.objects.get().pk).status == OperationStatus.SUCCEEDED
    assert Host.objects.get().secret
