"""A real worker process killed with SIGKILL in the middle of an operation: the monitor's reaper
fails the operation within its bound, frees the instance, re-reads it from the host (or removes a
half-built one), and the database agrees with the host afterwards."""

import time

import django_rq
import libvirt
import pytest

from instances.models import Instance, InstanceState
from instances.operation_support import lock_key
from instances.services import create_instance, request_operation
from jobs.models import Operation, OperationStatus
from tests.support.instances import instance_volumes
from tests.support.monitor import running_monitor
from tests.support.processes import WorkerProcess, stop_thread_worker
from tests.support.waiting import wait_for_operation, wait_until

pytestmark = pytest.mark.qemu
BOUND = 60  # seconds: the bound for an operation whose worker died


@pytest.fixture
def worker_process(rq_worker, tmp_path):
    """Only a real worker process takes jobs from here on (the thread worker is stopped)."""
    stop_thread_worker(rq_worker)
    process = WorkerProcess(tmp_path / "worker.log").start()
    yield process
    process.stop()


@pytest.fixture
def deaf_guest(spawn, tiny_flavor):
    """A running guest without ACPI: a graceful shutdown waits for it (until its timeout)."""
    tiny_flavor.extra_specs = {"hw:acpi": "false"}
    tiny_flavor.save()
    return spawn(flavor=tiny_flavor)


def test_worker_killed_during_a_graceful_shutdown(
    deaf_guest, worker_process, admin_user, qemu_conn, settings, tmp_path
):
    instance = deaf_guest
    op = request_operation(instance=instance, kind="instance.stop", user=admin_user, params={"timeout": 300})
    wait_until(
        lambda: "Power button pressed" in Operation.objects.get(pk=op.pk).message,
        timeout=60,
        what=lambda: f"the shutdown waiting ({Operation.objects.get(pk=op.pk).message}):\n{worker_process.log()}",
    )
    worker_process.kill()
    killed = time.monotonic()
    redis = django_rq.get_connection("default")
    assert redis.exists(lock_key(instance.pk))  # what a dead worker leaves: the lock, a running row

    with running_monitor():
        op = wait_for_operation(op.pk, timeout=BOUND + 10)
        wait_until(lambda: "putting its target right" not in Operation.objects.get(pk=op.pk).error, timeout=30,
                   what="the reaper done with the instance")  # fmt: skip
    op.refresh_from_db()
    took = time.monotonic() - killed
    assert took < BOUND, f"reaped after {took:.0f} s"
    assert (op.status, op.message) == (OperationStatus.FAILED, "Worker lost")
    assert op.error == "The worker running this stopped; state re-read from the host: running."
    assert not redis.exists(lock_key(instance.pk))
    assert qemu_conn.lookupByName(instance.name).state()[0] == libvirt.VIR_DOMAIN_RUNNING
    assert Instance.objects.get(pk=instance.pk).state == InstanceState.RUNNING  # the database agrees with virsh

    replacement = WorkerProcess(tmp_path / "worker2.log").start()  # the instance is free for the next one
    try:
        again = request_operation(instance=instance, kind="instance.stop", user=admin_user, params={"force": True})
        assert wait_for_operation(again.pk, timeout=60).status == OperationStatus.SUCCEEDED
    finally:
        replacement.stop()
    assert qemu_conn.lookupByName(instance.name).state()[0] == libvirt.VIR_DOMAIN_SHUTOFF


def test_worker_killed_during_a_spawn_leaves_nothing(
    qemu_host, tiny_flavor, tiny_image, worker_process, admin_user, qemu_conn
):
    op = create_instance(host=qemu_host, name="lvc-test-killed-spawn", flavor=tiny_flavor, image=tiny_image,
                         user=admin_user)  # fmt: skip
    instance = Instance.objects.get(pk=op.target_id)
    wait_until(
        lambda: Operation.objects.get(pk=op.pk).status == OperationStatus.RUNNING,
        timeout=60,
        what=lambda: f"the spawn starting:\n{worker_process.log()}",
    )
    worker_process.kill()
    assert Instance.objects.get(pk=instance.pk).state == InstanceState.BUILDING

    with running_monitor():
        op = wait_for_operation(op.pk, timeout=BOUND + 10)
        wait_until(lambda: "putting its target right" not in Operation.objects.get(pk=op.pk).error, timeout=30,
                   what="the reaper done with the instance")  # fmt: skip
    op.refresh_from_db()
    assert op.status == OperationStatus.FAILED
    assert op.error == ("The worker running this stopped; the half-built instance: everything made for it was "
                        "removed.")  # fmt: skip
    with pytest.raises(libvirt.libvirtError):
        qemu_conn.lookupByName("lvc-test-killed-spawn")
    assert instance_volumes(qemu_conn, instance.uuid) == []  # no orphan volume in the pool
