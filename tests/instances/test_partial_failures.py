"""Partial failures leave a record and a retry: a delete, or the cleanup of a failed spawn, that
cannot finish on the host (a volume file the host will not unlink: `chattr +i`, as a file held by
another system would) keeps the instance in state Error saying what is left; the monitor keeps
that row, the page offers Delete, and Delete tries again once the host lets go."""

import subprocess
from contextlib import contextmanager
from pathlib import Path

import libvirt
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rq.suspension import resume

from hosts.models import Host
from instances.models import DiskFormat, Image, Instance, InstanceState
from instances.services import create_instance
from jobs.models import Operation, OperationStatus
from tests.support.instances import instance_volumes
from tests.support.monitor import running_monitor
from tests.support.waiting import wait_for_operation, wait_until

pytestmark = pytest.mark.qemu


@contextmanager
def immutable(path: Path):
    """The host cannot delete (or write) this file until the block ends."""
    path.touch()
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def kept_through_a_monitor_refresh(instance: Instance) -> Instance:
    """The instance row after the monitor has re-read its host once."""
    since = timezone.now()
    with running_monitor():
        wait_until(lambda: Host.objects.get(pk=instance.host_id).last_seen > since, timeout=30, what="a refresh")
    return Instance.objects.get(pk=instance.pk)


def delete_again(instance, client_for, admin_user, run_op, qemu_conn) -> None:
    page = client_for(admin_user).get(reverse("instance-detail", args=[instance.pk])).content.decode()
    assert "could not finish" in page and reverse("instance-action", args=[instance.pk, "delete"]) in page
    assert run_op(instance, "instance.delete").status == OperationStatus.SUCCEEDED
    assert not Instance.objects.filter(pk=instance.pk).exists()
    assert instance_volumes(qemu_conn, instance.uuid) == []


def test_a_delete_that_cannot_finish_keeps_the_instance_in_error_and_delete_tries_again(
    spawn, run_op, qemu_conn, client_for, admin_user
):
    instance = spawn(start=False)
    drive = Path(settings.INSTANCE_POOL_PATH) / f"{instance.uuid}-config.iso"
    with immutable(drive):
        op = run_op(instance, "instance.delete")
        assert op.status == OperationStatus.FAILED
        assert op.error.startswith("Deleting it could not finish on this machine: ")
        assert op.error.endswith("It is kept in state Error: Delete tries again")
        with pytest.raises(libvirt.libvirtError):
            qemu_conn.lookupByName(instance.name)  # its definition went; a volume stayed
        assert f"{instance.uuid}-config.iso" in instance_volumes(qemu_conn, instance.uuid)
        kept = kept_through_a_monitor_refresh(instance)
        assert kept.state == InstanceState.ERROR and "could not finish" in kept.details["left"]
    delete_again(instance, client_for, admin_user, run_op, qemu_conn)


def test_a_failed_spawn_whose_cleanup_cannot_finish_is_kept_in_error(
    rq_worker, redis_conn, qemu_host, tiny_flavor, tiny_image, admin_user, qemu_conn, client_for, run_op
):
    tiny_flavor.extra_specs = {"hw:disk_bus": "floppy"}  # fails after its volumes were made
    tiny_flavor.save()
    rq_worker.hold()
    try:
        op = create_instance(host=qemu_host, name="lvc-test-stuck-cleanup", flavor=tiny_flavor, image=tiny_image,
                             user=admin_user)  # fmt: skip
        instance = Instance.objects.get(pk=op.target_id)
        log = Path(settings.INSTANCE_POOL_PATH) / f"{instance.uuid}-console.log"
    finally:
        resume(redis_conn)
    with immutable(log):
        op = wait_for_operation(op.pk, timeout=180)
        assert op.status == OperationStatus.FAILED
        assert "floppy" in op.error and "Removing the failed build could not finish on this machine" in op.error
        assert op.error.endswith("It is kept in state Error: Delete tries again.")
        kept = kept_through_a_monitor_refresh(instance)
        assert kept.state == InstanceState.ERROR and "could not finish" in kept.details["left"]
        assert Operation.objects.filter(kind="instance.spawn", status=OperationStatus.FAILED).count() == 1
    delete_again(instance, client_for, admin_user, run_op, qemu_conn)


def test_a_rescue_that_fails_before_touching_the_guest_leaves_it_as_it_was(running, run_op, qemu_conn):
    instance, guest = running
    domain_id = guest.domain.ID()
    broken = Image.objects.create(name="lvc-test-missing-file", disk="images/lvc-test-missing.qcow2",
                                  disk_format=DiskFormat.QCOW2)  # fmt: skip
    op = run_op(instance, "instance.rescue", image_id=broken.pk)
    assert op.status == OperationStatus.FAILED
    domain = qemu_conn.lookupByName(instance.name)
    assert (domain.ID(), domain.state()[0]) == (domain_id, libvirt.VIR_DOMAIN_RUNNING)  # never stopped
    instance.refresh_from_db()
    assert not instance.rescued and instance.rescue_definition == ""
    assert f"{instance.uuid}-rescue.qcow2" not in instance_volumes(qemu_conn, instance.uuid)
