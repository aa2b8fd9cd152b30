"""Each audited event leaves its entry: operations (on a real worker), console sessions, host removal.
Logins, logouts and password changes are in tests/accounts."""

import socket

import pytest
from django.urls import reverse

from audit.models import AuditAction, AuditEntry, AuditOutcome
from console.sessions import close_session, open_session
from hosts.credentials import decrypt
from hosts.models import Host
from jobs.models import Operation, OperationStatus
from jobs.services import start_operation
from tests.audit.conftest import all_text, wait_for_entry
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.django_db(transaction=True)
HOST_PASSWORD = "hunter2-never-in-the-log"


def test_a_succeeded_operation_is_audited_with_user_target_and_label(operator, test_host, rq_worker):
    op = wait_for_operation(start_operation(kind="host.check", target=test_host, user=operator).pk)
    assert op.status == OperationStatus.SUCCEEDED, op.error

    entry = wait_for_entry(action=AuditAction.OPERATION)
    assert (entry.user, entry.username, entry.outcome) == (operator, "operator", AuditOutcome.SUCCEEDED)
    assert (entry.object_type, entry.object_id, entry.object_name) == ("host", str(test_host.pk), test_host.name)
    assert entry.detail == f"{op.label} (operation #{op.pk}, succeeded): {op.message}"
    assert AuditEntry.objects.filter(action=AuditAction.OPERATION).count() == 1


def test_a_failed_operation_is_audited_with_its_error(operator, rq_worker):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = Host.objects.create(name="Dead host", uri=f"qemu+tcp://127.0.0.1:{port}/system")

    op = wait_for_operation(start_operation(kind="host.check", target=dead, user=operator).pk)

    entry = wait_for_entry(action=AuditAction.OPERATION)
    assert op.status == OperationStatus.FAILED
    assert (entry.outcome, entry.object_name) == (AuditOutcome.FAILED, "Dead host")
    assert "Connection refused" in entry.detail and op.error in entry.detail


def test_host_credentials_never_reach_the_audit_log(client_for, operator, rq_worker):
    form = {"name": "lab", "uri": "test:///default", "console_address": "", "credential_kind": "password",
            "username": "root", "secret": HOST_PASSWORD}  # fmt: skip
    client_for(operator).post(reverse("host-add"), form)

    op = wait_for_operation(Operation.objects.get().pk)
    wait_for_entry(action=AuditAction.OPERATION)
    encrypted = op.params["secret"]
    assert decrypt(encrypted) == HOST_PASSWORD
    text = all_text()
    assert HOST_PASSWORD not in text and encrypted not in text
    assert "Save host" in text


def test_console_sessions_are_audited_when_opened_and_closed(operator, instance):
    session_id = open_session(user_id=operator.pk, instance=instance, kind="vnc", client="203.0.113.9")

    opened = AuditEntry.objects.get(action=AuditAction.CONSOLE_OPEN)
    assert (opened.user, opened.object_type, opened.object_id) == (operator, "instance", str(instance.pk))
    assert (opened.object_name, opened.client_address) == ("web-1", "203.0.113.9")
    assert opened.detail == f"VNC console (session #{session_id})"

    close_session(session_id, reason="closed by the browser (1000)")
    close_session(session_id, reason="again")  # only the first close counts

    closed = AuditEntry.objects.get(action=AuditAction.CONSOLE_CLOSE)
    assert (closed.user, closed.object_id, closed.client_address) == (operator, str(instance.pk), "203.0.113.9")
    assert closed.detail.startswith(f"VNC console (session #{session_id}) after ")
    assert closed.detail.endswith(" s: closed by the browser (1000)")


def test_a_console_closed_after_its_instance_was_deleted_keeps_the_name(operator, instance):
    session_id = open_session(user_id=operator.pk, instance=instance, kind="serial")
    instance.delete()
    close_session(session_id, reason="instance gone")

    closed = AuditEntry.objects.get(action=AuditAction.CONSOLE_CLOSE)
    assert (closed.object_type, closed.object_id, closed.object_name) == ("instance", "", "web-1")


def test_removing_a_host_is_audited(client_for, admin_user, test_host):
    pk = test_host.pk
    response = client_for(admin_user).post(reverse("host-delete", args=[pk]), REMOTE_ADDR="192.0.2.44")

    assert response.status_code == 302 and not Host.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(action=AuditAction.HOST_REMOVE)
    assert (entry.user, entry.object_type, entry.object_id, entry.object_name) == (
        admin_user, "host", str(pk), "Embedded test host")  # fmt: skip
    assert (entry.outcome, entry.client_address) == (AuditOutcome.SUCCEEDED, "192.0.2.44")
    assert "test:///default" in entry.detail


def test_looking_at_the_removal_page_is_not_audited(client_for, admin_user, test_host):
    assert client_for(admin_user).get(reverse("host-delete", args=[test_host.pk])).status_code == 200
    assert not AuditEntry.objects.filter(action=AuditAction.HOST_REMOVE).exists()
