"""What two spawns on one host must not do at once, whichever workers run them: copy the same
image into the host's cache (the second waits, and never builds on a half-copied file), and pin
the same CPU (real worker processes)."""

import hashlib
import subprocess
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from instances.images.cache import ensure_checksums
from instances.models import CachedImage, Flavor, Instance
from instances.services import create_instance
from jobs.claims import claim
from jobs.models import OperationStatus
from jobs.services import request_stop
from tests.support.guest import NAME_PREFIX
from tests.support.instances import guest_image, instance_volumes, remove_instance
from tests.support.processes import WorkerProcess, process_env, stop_thread_worker
from tests.support.waiting import wait_for_operation, wait_until
from virt import images
from virt.numa import parse_cpuset

pytestmark = pytest.mark.qemu


def unique_disk(path: Path) -> Path:
    """A small qcow2 with content no other image has (so its cache copy is this test's own)."""
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), "8M"], check=True)
    pattern = str(int(uuid.uuid4().hex[:2], 16))
    subprocess.run(["qemu-io", "-f", "qcow2", "-c", f"write -P {pattern} 0 2M", str(path)], check=True,
                   capture_output=True)  # fmt: skip
    return path


def sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def made(qemu_conn):
    """Instances queued by a test, removed with everything they left after it."""
    queued: list[Instance] = []
    yield queued
    for instance in queued:
        remove_instance(qemu_conn, instance.uuid, instance.name)


def queue_spawn(made, **options):
    name = f"{NAME_PREFIX}{uuid.uuid4().hex[:8]}"
    op = create_instance(name=name, start=False, **options)
    made.append(Instance.objects.get(pk=op.target_id))
    return op


def test_a_spawn_waits_for_a_copy_in_progress_and_replaces_what_a_dead_copier_left(
    qemu_conn, qemu_host, tiny_flavor, admin_user, rq_worker, made, tmp_path
):
    image = guest_image(name="unique", disk=unique_disk(tmp_path / "unique.qcow2"))
    volume = f"disk-{ensure_checksums(image)['disk'][:32]}.img"  # the name the cache gives it
    images.ensure_pool(qemu_conn, settings.IMAGE_POOL_NAME, settings.IMAGE_POOL_PATH)
    pool = qemu_conn.storagePoolLookupByName(settings.IMAGE_POOL_NAME)

    with claim(f"lvc:image-cache:{qemu_host.pk}:{volume}"):  # another job copying it right now
        pool.createXML(images.volume_xml(volume, image.disk.size, "raw"), 0)  # what it has written so far: nothing
        op = queue_spawn(made, host=qemu_host, flavor=tiny_flavor, image=image, user=admin_user)
        wait_until(lambda: "Waiting for another job copying the image's disk" in type(op).objects.get(pk=op.pk).message,
                   timeout=60, what="the spawn waiting for the copy")  # fmt: skip
        assert type(op).objects.get(pk=op.pk).status == OperationStatus.RUNNING
    # The copier died without noting a whole copy: the spawn copies it anew.

    op = wait_for_operation(op.pk, timeout=120)
    assert op.status == OperationStatus.SUCCEEDED, op.error
    path = pool.storageVolLookupByName(volume).path()
    assert sha256(path) == sha256(image.disk.path), "the cached copy is the whole image"
    assert CachedImage.objects.filter(host=qemu_host, volume=volume).count() == 1


def test_an_abort_ends_the_wait_for_a_copy_and_leaves_nothing(
    qemu_conn, qemu_host, tiny_flavor, tiny_image, admin_user, rq_worker, made
):
    volume = f"kernel-{tiny_image.checksums['kernel'][:32]}.kernel"
    with claim(f"lvc:image-cache:{qemu_host.pk}:{volume}"):
        op = queue_spawn(made, host=qemu_host, flavor=tiny_flavor, image=tiny_image, user=admin_user)
        wait_until(lambda: "Waiting for another job" in type(op).objects.get(pk=op.pk).message, timeout=60,
                   what="the spawn waiting for the copy")  # fmt: skip
        request_stop(type(op).objects.get(pk=op.pk), user=admin_user)
        op = wait_for_operation(op.pk, timeout=30)  # while the copy still holds: the abort ends the wait
    assert op.status == OperationStatus.ABORTED and "everything made for it was removed" in op.error, op.error
    assert not Instance.objects.filter(pk=op.target_id).exists()
    assert instance_volumes(qemu_conn, made[0].uuid) == []


def test_two_worker_processes_never_pin_the_same_cpu(qemu_conn, qemu_host, tiny_image, admin_user, rq_worker, made,
                                                     tmp_path):  # fmt: skip
    stop_thread_worker(rq_worker)
    dedicated = Flavor.objects.create(name="dedicated", vcpus=1, memory_mib=128, disk_gib=1,
                                      extra_specs={"hw:cpu_policy": "dedicated"})  # fmt: skip
    workers = [WorkerProcess(tmp_path / f"worker-{n}.log", env=process_env()).start() for n in (1, 2)]
    try:
        ops = [queue_spawn(made, host=qemu_host, flavor=dedicated, image=tiny_image, user=admin_user) for _ in (1, 2)]
        ops = [wait_for_operation(op.pk, timeout=180) for op in ops]
    finally:
        for worker in workers:
            worker.stop()
    assert [op.status for op in ops] == [OperationStatus.SUCCEEDED] * 2, [op.error for op in ops]
    pins = [parse_cpuset(Instance.objects.get(pk=i.pk).details["numa"]["vcpupin"][0]["cpuset"]) for i in made]
    assert len(pins[0]) == len(pins[1]) == 1 and not pins[0] & pins[1], f"each on a CPU of its own: {pins}"
