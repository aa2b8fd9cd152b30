"""A job checks its user's right again when it starts: what was revoked while the operation
waited in the queue is not carried out, and the refusal is in the audit log.

The real worker is suspended (`rq suspend`, as behind a long queue) while the user queues the
operation and loses the right; then it resumes and takes the job."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rq.suspension import resume, suspend

from accounts.models import Grant, Role
from audit.models import AuditEntry
from hosts.models import Host, HostStatus
from instances.models import Instance, InstanceState
from jobs.models import Operation, OperationStatus
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def held_worker(redis_conn, request):
    """A real worker that takes no job until `release()` is called."""
    suspend(redis_conn)
    request.getfixturevalue("rq_worker")
    yield lambda: resume(redis_conn)
    resume(redis_conn)


@pytest.fixture
def host(db):
    return Host.objects.create(name="lab", uri="test:///default", status=HostStatus.UP)


@pytest.fixture
def host_operator(ungranted_operator, host):
    Grant.objects.create(user=ungranted_operator, role=Role.OPERATOR, host=host)
    return ungranted_operator


def _queued(client, url) -> Operation:
    assert client.post(url).status_code == 302
    op = Operation.objects.get()
    assert op.status == OperationStatus.QUEUED
    return op


def test_a_grant_revoked_while_queued_stops_the_job(client_for, host_operator, host, held_worker):
    op = _queued(client_for(host_operator), reverse("host-check", args=[host.pk]))
    Grant.objects.filter(user=host_operator).delete()
    held_worker()

    op = wait_for_operation(op.pk)
    assert (op.status, op.message) == (OperationStatus.FAILED, "Refused")
    assert op.error == "Not carried out: ungranted no longer has a grant to change host lab."
    assert Host.objects.get(pk=host.pk).last_seen is None  # the check did not run
    assert op.params == {}  # whatever secret it carried is gone
    refusal = AuditEntry.objects.get(action="access_denied")
    assert (refusal.username, refusal.outcome, refusal.object_name) == ("ungranted", "refused", "lab")
    assert "host.check" in refusal.detail


def test_a_permission_removed_while_queued_stops_the_job(client_for, host_operator, host, held_worker):
    instance = Instance.objects.create(host=host, uuid="6695eb01-f6a4-8304-79aa-97f2502e193f", name="test",
                                       state=InstanceState.RUNNING)  # fmt: skip
    op = _queued(client_for(host_operator), reverse("instance-action", args=[instance.pk, "pause"]))
    host_operator.user_permissions.remove(Permission.objects.get(codename="change_instance"))
    held_worker()

    op = wait_for_operation(op.pk)
    assert op.status == OperationStatus.FAILED
    assert op.error == "Not carried out: ungranted no longer has the permission to change instances."
    assert Instance.objects.get(pk=instance.pk).state == InstanceState.RUNNING


def test_a_deactivated_account_stops_its_queued_jobs(client_for, host_operator, host, held_worker):
    op = _queued(client_for(host_operator), reverse("host-check", args=[host.pk]))
    host_operator.is_active = False
    host_operator.save()
    held_worker()

    assert wait_for_operation(op.pk).error == "Not carried out: the account ungranted is deactivated."


def test_a_job_whose_user_keeps_the_right_runs(client_for, host_operator, host, held_worker):
    op = _queued(client_for(host_operator), reverse("host-check", args=[host.pk]))
    held_worker()

    assert wait_for_operation(op.pk).status == OperationStatus.SUCCEEDED
    assert not AuditEntry.objects.filter(action="access_denied").exists()
