"""Cancelling a queued operation and aborting a running one, through the Operations page, on the
real guest and a real worker: who may, what is left, what the audit log says, and that the
instance is free again at once. One active operation per instance is kept by the database."""

import re
import threading
import time

import libvirt
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rq.suspension import resume

from audit.models import AuditEntry
from instances.models import Instance, InstanceState
from instances.services import Busy, request_operation
from jobs.models import Operation, OperationStatus
from tests.support.waiting import wait_for_operation, wait_until

pytestmark = pytest.mark.qemu


def shown(page: str, button: str) -> bool:
    """Whether the page shows the Abort ("stoppable") or Cancel ("cancellable") button now (the
    live updates show and hide them as the operation goes on)."""
    form = re.search(rf'<form [^>]*data-shown-if="{button}"[^>]*>', page)
    return form is not None and " hidden" not in form.group(0)


def stop(client, op) -> str:
    """POST the Abort/Cancel button of the operation's page; the message the next page shows."""
    response = client.post(reverse("operation-stop", args=[op.pk]), follow=True)
    assert response.status_code == 200
    return " ".join(str(message) for message in response.context["messages"])


@pytest.fixture
def deaf_guest(spawn, qemu_conn, tiny_flavor):
    """A running guest without ACPI: it ignores the power button, so a graceful shutdown waits."""
    tiny_flavor.extra_specs = {"hw:acpi": "false"}
    tiny_flavor.save()
    return spawn(flavor=tiny_flavor)


def test_a_running_graceful_shutdown_is_aborted_within_a_second_and_says_what_it_left(
    deaf_guest, client_for, admin_user, qemu_conn
):
    instance = deaf_guest
    op = request_operation(instance=instance, kind="instance.stop", user=admin_user, params={"timeout": 120})
    wait_until(lambda: "Power button pressed" in Operation.objects.get(pk=op.pk).message, timeout=30,
               what="the shutdown waiting for the guest")  # fmt: skip
    page = client_for(admin_user).get(reverse("operation-detail", args=[op.pk])).content.decode()
    assert shown(page, "stoppable") and not shown(page, "cancellable")
    mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()

    asked = time.monotonic()
    assert "Asked to abort" in stop(client_for(admin_user), op)
    op = wait_for_operation(op.pk, timeout=10)
    assert time.monotonic() - asked < 3
    assert op.status == OperationStatus.ABORTED and op.message == "Aborted by admin"
    assert op.error == (
        "Aborted: the guest was asked to power off and was not forced off; "
        f"{instance.name} is running (as its host reports it now)"
    )
    assert qemu_conn.lookupByName(instance.name).state()[0] == libvirt.VIR_DOMAIN_RUNNING
    assert Instance.objects.get(pk=instance.pk).state == InstanceState.RUNNING
    entries = AuditEntry.objects.filter(object_id=str(instance.pk), pk__gt=mark).order_by("pk")
    assert [(e.action, e.username) for e in entries] == [("operation_abort", "admin"), ("operation", "admin")]
    assert "aborted" in entries[1].detail and "Aborted by admin" in entries[1].detail
    # Free at once: the next operation is taken (the lock went with the job).
    assert (
        wait_for_operation(request_operation(instance=instance, kind="instance.pause", user=admin_user).pk).status
        == OperationStatus.SUCCEEDED
    )


def test_a_queued_operation_is_cancelled_and_never_runs(running, client_for, admin_user, redis_conn, rq_worker):
    instance, guest = running
    rq_worker.hold()  # the worker takes nothing: the operation stays queued
    try:
        op = request_operation(instance=instance, kind="instance.pause", user=admin_user)
        page = client_for(admin_user).get(reverse("operation-detail", args=[op.pk])).content.decode()
        assert shown(page, "cancellable") and not shown(page, "stoppable")
        assert "Cancelled" in stop(client_for(admin_user), op)
    finally:
        resume(redis_conn)
    op.refresh_from_db()
    assert (op.status, op.message, op.error) == (OperationStatus.CANCELLED, "Cancelled by admin", "It never ran.")
    # The worker is free again: a new operation on the instance runs; the cancelled one never did.
    assert (
        wait_for_operation(request_operation(instance=instance, kind="instance.nmi", user=admin_user).pk).status
        == OperationStatus.SUCCEEDED
    )
    assert guest.domain.state()[0] == libvirt.VIR_DOMAIN_RUNNING  # never paused
    assert Operation.objects.get(pk=op.pk).status == OperationStatus.CANCELLED
    assert AuditEntry.objects.filter(action="operation_cancel", username="admin", object_id=str(instance.pk)).exists()


def test_kinds_that_cannot_stop_safely_show_no_abort_and_refuse_it(running, client_for, admin_user):
    instance, _guest = running
    # As a snapshot being written looks while it runs (a kind that cannot stop half-way).
    op = Operation.objects.create(kind="instance.snapshot_create", target_type="instance",
                                  target_id=str(instance.pk), target_name=instance.name, host=instance.host,
                                  user=admin_user, status=OperationStatus.RUNNING)  # fmt: skip
    assert not op.stoppable
    page = client_for(admin_user).get(reverse("operation-detail", args=[op.pk])).content.decode()
    assert not shown(page, "stoppable") and not shown(page, "cancellable")
    assert "Create snapshot cannot be stopped safely once it runs" in stop(client_for(admin_user), op)
    assert Operation.objects.get(pk=op.pk).stop_requested is None
    assert not AuditEntry.objects.filter(action="operation_abort").exists()
    assert Client().post(reverse("operation-stop", args=[op.pk])).status_code == 302  # to the login page


@pytest.mark.both_databases
def test_fifty_concurrent_requests_on_one_instance_queue_exactly_one(running, admin_user, redis_conn, rq_worker):
    instance, _guest = running
    rq_worker.hold()  # nothing finishes meanwhile
    outcomes: list[str] = []
    barrier = threading.Barrier(50)

    def ask():
        barrier.wait()
        try:
            request_operation(instance=instance, kind="instance.pause", user=admin_user)
            outcomes.append("queued")
        except Busy as busy:
            outcomes.append(str(busy))
        finally:
            connection.close()  # this thread's own database connection

    try:
        threads = [threading.Thread(target=ask) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        resume(redis_conn)
    assert outcomes.count("queued") == 1 and len(outcomes) == 50
    assert all(text.startswith(f"Busy: Pause instance is queued on {instance.name}") for text in outcomes
               if text != "queued")  # fmt: skip
    assert Operation.objects.filter(target_id=str(instance.pk), kind="instance.pause").count() == 1
