"""A real worker process killed with SIGKILL in the middle of an operation: the monitor's reaper
fails the operation within its bound, frees the instance, re-reads it from the host (or removes a
half-built one), and the database agrees with the host afterwards."""

import subprocess
import time
from pathlib import Path

import django_rq
import libvirt
import pytest
from django.core.files.storage import default_storage

from instances.models import Evacuation, Flavor, Image, Instance, InstanceState
from instances.operation_support import lock_key
from instances.services import create_instance, request_operation
from jobs.models import Operation, OperationStatus
from jobs.services import start_operation
from tests.support.files_server import files_server, held_download  # noqa: F401  (fixture)
from tests.support.instances import in_guest, instance_volumes
from tests.support.lab_hosts import lab_guest, lookup, switched_off, volumes_of
from tests.support.monitor import running_monitor
from tests.support.processes import WorkerProcess, stop_thread_worker
from tests.support.waiting import wait_for_operation, wait_until

pytestmark = pytest.mark.qemu
BOUND = 60  # seconds: the bound for an operation whose worker died


def reaped(op: Operation) -> Operation:
    """The operation once the monitor's reaper has ended it and put its target right."""
    with running_monitor():
        return reaped_by_running_monitor(op)


def reaped_by_running_monitor(op: Operation) -> Operation:
    op = wait_for_operation(op.pk, timeout=BOUND + 10)
    wait_until(lambda: "putting its target right" not in Operation.objects.get(pk=op.pk).error, timeout=30,
               what="the reaper done with the instance")  # fmt: skip
    op.refresh_from_db()
    return op


@pytest.fixture
def quick_reaper(settings):
    """The reaper's shortest bound (the first test proves the default one): less time waited out."""
    settings.OPERATION_STALE_AFTER = 10


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


@pytest.mark.both_databases
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

    op = reaped(op)
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
    quick_reaper, qemu_host, tiny_flavor, tiny_image, worker_process, admin_user, qemu_conn
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

    op = reaped(op)
    assert op.status == OperationStatus.FAILED
    assert op.error == ("The worker running this stopped; the half-built instance: everything made for it was "
                        "removed.")  # fmt: skip
    with pytest.raises(libvirt.libvirtError):
        qemu_conn.lookupByName("lvc-test-killed-spawn")
    assert instance_volumes(qemu_conn, instance.uuid) == []  # no orphan volume in the pool


def test_worker_killed_during_a_snapshot_to_image_copy_leaves_nothing(
    quick_reaper, spawn, qemu_conn, worker_process, admin_user, settings
):
    instance = spawn(start=False)
    overlay = next(v for v in instance_volumes(qemu_conn, instance.uuid) if v.endswith("-disk.qcow2"))
    path = qemu_conn.storagePoolLookupByName("lvc-test-instances").storageVolLookupByName(overlay).path()
    # 512 MiB of data past the guest's filesystem: a copy that takes a while.
    subprocess.run(["qemu-io", "-f", "qcow2", "-c", "write -P 0xab 64M 512M", path], check=True, capture_output=True)
    domain = qemu_conn.lookupByName(instance.name)
    domain.create()
    op = request_operation(instance=instance, kind="instance.snapshot_to_image", user=admin_user,
                           params={"name": "lvc-test-cut-short", "target": "vda"})  # fmt: skip
    wait_until(lambda: domain.blockJobInfo("vda", 0), timeout=60,
               what=lambda: f"the block copy starting:\n{worker_process.log()}")  # fmt: skip
    domain.blockJobSetSpeed("vda", 8, 0)  # MiB/s: it is surely still copying when the worker dies
    wait_until(lambda: "Copying vda" in Operation.objects.get(pk=op.pk).message, timeout=30, what="copy progress")
    partial = Path(settings.MEDIA_ROOT) / Operation.objects.get(pk=op.pk).result["partial"]
    worker_process.kill()
    export = f"{instance.uuid}-export.qcow2"
    assert export in instance_volumes(qemu_conn, instance.uuid)  # what a dead worker leaves

    op = reaped(op)
    assert op.status == OperationStatus.FAILED
    assert op.error == ("The worker running this stopped; its block job on vda was aborted; state re-read from "
                        "the host: running.")  # fmt: skip
    assert domain.blockJobInfo("vda", 0) == {}  # the disk is free for the next job
    assert export not in instance_volumes(qemu_conn, instance.uuid)  # no orphan volume
    assert not partial.exists() and not Image.objects.filter(name="lvc-test-cut-short").exists()
    assert (
        Instance.objects.get(pk=instance.pk).state
        == InstanceState.RUNNING
        == {libvirt.VIR_DOMAIN_RUNNING: InstanceState.RUNNING}.get(domain.state()[0])
    )  # the database agrees with virsh
    assert not django_rq.get_connection("default").exists(lock_key(instance.pk))


def test_worker_killed_during_a_live_migration_leaves_the_guest_running_where_it_was(
    quick_reaper, lab_hosts, lab_conns, spawn_on, worker_process, admin_user
):
    source, dest = lab_hosts
    instance = spawn_on(source)  # on each host's own storage: its disk is copied, volumes made there first
    op = request_operation(instance=instance, kind="instance.live_migrate", user=admin_user,
                           params={"destination": dest.pk, "bandwidth_mib": 1, "auto_converge": False})  # fmt: skip
    wait_until(lambda: "MiB sent" in Operation.objects.get(pk=op.pk).message, timeout=90,
               what=lambda: f"the migration copying:\n{worker_process.log()}")  # fmt: skip
    worker_process.kill()
    assert Instance.objects.get(pk=instance.pk).state == InstanceState.MIGRATING  # what a dead worker leaves

    op = reaped(op)
    assert op.status == OperationStatus.FAILED
    assert op.error == f"The worker running this stopped; its migration was aborted; it is still on {source.name}."
    assert lab_conns[source.name].lookupByUUIDString(str(instance.uuid)).isActive()
    assert not [d for d in lab_conns[dest.name].listAllDomains(0) if d.UUIDString() == str(instance.uuid)]
    assert volumes_of(lab_conns[dest.name], instance.uuid) == []  # nothing left at the destination
    row = Instance.objects.get(pk=instance.pk)
    assert (row.host_id, row.state) == (source.pk, InstanceState.RUNNING)  # the database agrees with virsh
    assert not django_rq.get_connection("default").exists(lock_key(instance.pk))


def test_worker_killed_during_a_resize_puts_the_guest_back_where_it_was(
    quick_reaper, lab_hosts, lab_conns, spawn_on, worker_process, admin_user
):
    source, dest = lab_hosts
    instance = spawn_on(source)
    in_guest(lab_guest(lab_conns[source.name], instance), "dd if=/dev/zero of=/dev/vda bs=1M count=24; sync")
    flavor = Flavor.objects.create(name="tiny-big", vcpus=2, memory_mib=192, disk_gib=2)
    op = request_operation(instance=instance, kind="instance.resize", user=admin_user,
                           params={"flavor": flavor.pk, "destination": dest.pk, "bandwidth_mib": 2})  # fmt: skip
    wait_until(lambda: "Copying disks" in Operation.objects.get(pk=op.pk).message, timeout=120,
               what=lambda: f"the resize copying:\n{worker_process.log()}")  # fmt: skip
    worker_process.kill()
    assert Instance.objects.get(pk=instance.pk).state == InstanceState.MIGRATING  # what a dead worker leaves

    op = reaped(op)
    assert op.status == OperationStatus.FAILED
    assert op.error == f"The worker running this stopped; it is back on {source.name} as before the resize."
    assert lab_conns[source.name].lookupByUUIDString(str(instance.uuid)).isActive()  # started again
    assert not [d for d in lab_conns[dest.name].listAllDomains(0) if d.UUIDString() == str(instance.uuid)]
    assert volumes_of(lab_conns[dest.name], instance.uuid) == []  # nothing left at the destination
    row = Instance.objects.get(pk=instance.pk)
    assert (row.host_id, row.state, row.resizing) == (source.pk, InstanceState.RUNNING, False)
    assert not django_rq.get_connection("default").exists(lock_key(instance.pk))


@pytest.fixture
def slow_migrations(monkeypatch):
    """Live migrations at 1 MiB/s in the worker process started after it (their default bandwidth)."""
    monkeypatch.setenv("MIGRATION_BANDWIDTH", "1")
    monkeypatch.setenv("MIGRATION_AUTO_CONVERGE", "false")


def test_worker_killed_during_a_host_drain_leaves_the_guest_running_where_it_was(
    quick_reaper, lab_hosts, lab_conns, spawn_on, slow_migrations, worker_process, admin_user
):
    source, dest = lab_hosts
    instance = spawn_on(source)
    op = start_operation(kind="host.maintenance", target=source, user=admin_user)
    wait_until(lambda: "MiB sent" in Operation.objects.get(pk=op.pk).message, timeout=90,
               what=lambda: f"the drain copying:\n{worker_process.log()}")  # fmt: skip
    worker_process.kill()

    op = reaped(op)
    assert op.status == OperationStatus.FAILED
    assert op.error == (f"The worker running this stopped; {instance.name}: its migration was aborted; "
                        f"it is still on {source.name}.")  # fmt: skip
    assert lab_conns[source.name].lookupByUUIDString(str(instance.uuid)).isActive()
    assert not [d for d in lab_conns[dest.name].listAllDomains(0) if d.UUIDString() == str(instance.uuid)]
    assert volumes_of(lab_conns[dest.name], instance.uuid) == []
    row = Instance.objects.get(pk=instance.pk)
    assert (row.host_id, row.state) == (source.pk, InstanceState.RUNNING)  # the database agrees with virsh
    assert not django_rq.get_connection("default").exists(lock_key(instance.pk))


def test_worker_killed_during_an_evacuation_leaves_the_guest_where_it_was(
    quick_reaper, lab, lab_hosts, lab_conns, spawn_on, worker_process, admin_user
):
    source, dest = lab_hosts
    instance = spawn_on(source)  # on the host's own storage: evacuated, it is rebuilt from its image
    with running_monitor(), switched_off(lab, source, lab_conns):
        with lab.hosts[dest.name].frozen():  # the destination hangs: the job waits on it, under way for sure
            op = start_operation(kind="host.evacuate", target=source, user=admin_user, params={"from_image": True})
            wait_until(lambda: being_rebuilt(op), timeout=60,
                       what=lambda: f"the evacuation under way:\n{worker_process.log()}")  # fmt: skip
            worker_process.kill()

        op = reaped_by_running_monitor(op)
        assert op.status == OperationStatus.FAILED and op.error.startswith("The worker running this stopped; ")
        assert f"{instance.name}: not evacuated, nothing left on {dest.name}" in op.error
        row = Instance.objects.get(pk=instance.pk)
        assert (row.host_id, row.state) == (source.pk, InstanceState.RUNNING)  # as it was, on its dead host
        assert lookup(lab_conns[dest.name], instance) is None and volumes_of(lab_conns[dest.name], instance.uuid) == []
        assert not Evacuation.objects.exists()
    assert not django_rq.get_connection("default").exists(lock_key(instance.pk))


def being_rebuilt(op: Operation) -> bool:
    """True once the evacuation has picked the guest's new host and is rebuilding it there; an
    evacuation that ended first fails the wait with its error."""
    op = Operation.objects.get(pk=op.pk)
    assert op.status in ("queued", "running"), f"the evacuation ended first: {op.status}: {op.error} {op.result}"
    return "being rebuilt on" in str((op.result or {}).get("lines"))


def test_worker_killed_during_an_image_import_leaves_no_file(transactional_db, quick_reaper, files_server,  # noqa: F811
                                                            worker_process, admin_user):  # fmt: skip
    op = held_download("cut-short", admin_user, files_server)
    (name,) = op.result["written"]  # 1 MiB of it received, into a temporary file of the worker
    worker_process.kill()

    op = reaped(op)
    assert (op.status, op.error) == ("failed", "The worker running this stopped; nothing downloaded was kept.")
    assert not default_storage.exists(name) and not Image.objects.filter(name="cut-short").exists()
