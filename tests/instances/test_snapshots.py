"""Snapshots of a running tiny guest, made by the real jobs and checked from outside: libvirt's
snapshot tree and definitions, the host's pool, and inside the guest over its serial console (its
root is an initramfs, so what a memory snapshot brings back is the guest's memory)."""

import re
import uuid

import libvirt
import pytest
from django.test import Client
from django.urls import reverse
from lxml import etree

from instances.models import CachedImage, Image, Instance
from instances.services import create_instance
from tests.instances import test_disks
from tests.instances.test_disks import disks
from tests.support.guest import MARKER, NAME_PREFIX
from tests.support.instances import guest_of, in_guest, instance_volumes, remove_instance, succeeded
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.qemu
volume = test_disks.volume  # the fixture: new volumes in the test pool


def snapshot_names(instance) -> list[tuple[str, str, bool]]:
    """(name, parent, current) of the snapshots the inventory holds for the instance."""
    details = Instance.objects.get(pk=instance.pk).details
    return [(snap["name"], snap["parent"], snap["current"]) for snap in details["snapshots"]]


def test_revert_to_a_memory_snapshot_undoes_what_the_guest_did_since(running, run_op):
    instance, guest = running
    op = succeeded(run_op(instance, "instance.snapshot_create", name="before", description="clean <state> & more"))
    assert op.message == "Snapshot before created with memory"
    snapshot = guest.domain.snapshotLookupByName("before", 0)
    root = etree.fromstring(snapshot.getXMLDesc(0))
    assert root.findtext("state") == "running" and root.find("memory").get("snapshot") == "internal"
    modes = {disk.get("name"): disk.get("snapshot") for disk in root.findall("disks/disk")}
    assert modes["vda"] == "internal" and set(modes.values()) == {"internal", "no"}  # the config drive CD-ROM: no
    [stored] = Instance.objects.get(pk=instance.pk).details["snapshots"]
    assert stored["description"] == "clean <state> & more" and stored["memory"] and stored["current"]

    in_guest(guest, "echo CHANGED-AFTER > /tmp/mark")
    assert "CHANGED-AFTER" in in_guest(guest, "cat /tmp/mark")
    op = succeeded(run_op(instance, "instance.snapshot_revert", name="before"))
    assert op.message == "Reverted to before"
    assert guest.domain.isActive() and Instance.objects.get(pk=instance.pk).state == "running"
    out = in_guest(guest, "cat /tmp/mark")
    assert "No such file" in out and "CHANGED-AFTER" not in out


def test_a_tree_of_two_snapshots_delete_one_and_clear_errors(running, run_op, qemu_conn, admin_user, volume):
    instance, guest = running
    succeeded(run_op(instance, "instance.snapshot_create", name="s1"))
    succeeded(run_op(instance, "instance.snapshot_create", name="s2"))
    assert snapshot_names(instance) == [("s1", "", False), ("s2", "s1", True)]
    client = Client()
    client.force_login(admin_user)
    page = client.get(reverse("instance-detail", args=[instance.pk])).content.decode()
    tree = page[page.index('<div id="snapshots">') :]
    first = tree.index("<strong>s1</strong>")
    assert first < tree.index("<ul>", first) < tree.index("<strong>s2</strong>")  # s2 nested under s1
    assert tree.count('aria-current="true"') == 1
    assert re.search(r'<li class="current" aria-current="true">\s*<strong>s2</strong>', tree)

    op = run_op(instance, "instance.snapshot_create", name="s2")
    assert (op.status, op.error) == ("failed", "A snapshot named s2 already exists on this instance.")
    succeeded(run_op(instance, "instance.snapshot_delete", name="s1"))
    assert snapshot_names(instance) == [("s2", "", True)]
    assert guest.domain.snapshotListNames(0) == ["s2"]
    op = run_op(instance, "instance.snapshot_revert", name="s1")
    assert (op.status, op.error) == ("failed", "This instance has no snapshot 's1' (deleted meanwhile?).")

    succeeded(run_op(instance, "instance.attach_volume", pool=test_disks.POOL, volume=volume(1, fmt="raw")))
    op = run_op(instance, "instance.snapshot_create", name="s3")
    assert (op.status, op.error) == ("failed", "Internal snapshots need every writable disk in qcow2: vdb is raw. "
                                     "Detach it, or take an external disk snapshot.")  # fmt: skip

    succeeded(run_op(instance, "instance.delete"))  # with a snapshot still there
    assert instance_volumes(qemu_conn, instance.uuid) == []
    with pytest.raises(libvirt.libvirtError):
        qemu_conn.lookupByUUIDString(str(instance.uuid))


def test_external_disk_snapshot_then_block_commit_leaves_one_disk(running, run_op, qemu_conn):
    instance, guest = running
    base = disks(guest)["vda"]
    in_guest(guest, "echo BEFORE-OVERLAY > /dev/vda; sync")
    op = succeeded(run_op(instance, "instance.disk_snapshot", target="vda", name="ext1"))
    overlay = op.result["overlay"]
    assert overlay.endswith(f"{instance.uuid}-vda-snap-ext1.qcow2")
    assert disks(guest)["vda"] == overlay == disks(guest, inactive=True)["vda"]
    [stored] = Instance.objects.get(pk=instance.pk).details["disk_snapshots"]
    assert (stored["target"], stored["name"], stored["base"]) == ("vda", "ext1", base)
    in_guest(guest, "echo INTO-OVERLAY-1 > /dev/vda; sync")  # lands in the overlay

    op = succeeded(run_op(instance, "instance.disk_commit", target="vda"))
    assert op.message == f"vda committed; {overlay} removed"
    assert disks(guest)["vda"] == base == disks(guest, inactive=True)["vda"]
    root = etree.fromstring(guest.domain.XMLDesc(0))
    assert overlay not in etree.tostring(root, encoding="unicode")  # not even in the backing chain
    assert f"{instance.uuid}-vda-snap-ext1.qcow2" not in instance_volumes(qemu_conn, instance.uuid)
    assert Instance.objects.get(pk=instance.pk).details["disk_snapshots"] == []
    assert "INTO-OVERLAY-1" in in_guest(guest, "echo 3 > /proc/sys/vm/drop_caches; head -c 14 /dev/vda; echo")

    op = run_op(instance, "instance.disk_commit", target="vda")
    assert (op.status, op.error) == ("failed", "vda has no external snapshot to commit.")
    succeeded(run_op(instance, "instance.disk_snapshot", target="vda", name="ext2"))
    succeeded(run_op(instance, "instance.delete"))  # the overlay goes with the instance
    assert instance_volumes(qemu_conn, instance.uuid) == []


@pytest.fixture
def spawn_from(qemu_host, tiny_flavor, admin_user, qemu_conn):
    """spawn_from(image) -> an instance made from `image` by the real spawn job (removed after)."""
    made = []

    def make(image):
        name = f"{NAME_PREFIX}{uuid.uuid4().hex[:8]}"
        op = create_instance(host=qemu_host, name=name, flavor=tiny_flavor, image=image, user=admin_user)
        made.append((Instance.objects.get(pk=op.target_id).uuid, name))
        succeeded(wait_for_operation(op.pk, timeout=180))
        return Instance.objects.get(pk=op.target_id)

    yield make
    for instance_uuid, name in made:
        remove_instance(qemu_conn, instance_uuid, name)


def test_snapshot_to_image_then_spawn_a_guest_from_it(running, run_op, spawn_from, qemu_conn, tiny_image):
    instance, guest = running
    in_guest(guest, "echo IMAGE-MARK-7 > /dev/vda; sync")
    op = succeeded(run_op(instance, "instance.snapshot_to_image", name="from-snap", target="vda"))
    assert op.message == "Image from-snap made from vda"
    image = Image.objects.get(pk=op.result["image_id"])
    assert (image.name, image.disk_format, image.cmdline) == ("from-snap", "qcow2", tiny_image.cmdline)
    assert image.kernel.name == tiny_image.kernel.name and image.disk.size > 0
    cached = CachedImage.objects.get(host=instance.host, checksum=image.checksums["disk"])
    assert qemu_conn.storagePoolLookupByName("lvc-test-images").storageVolLookupByName(cached.volume)
    assert f"{instance.uuid}-export.qcow2" not in instance_volumes(qemu_conn, instance.uuid)  # temporary copy gone
    assert guest.domain.isActive() and disks(guest)["vda"].endswith(f"{instance.uuid}-disk.qcow2")

    child = spawn_from(image)
    child_guest = guest_of(qemu_conn, child)
    child_guest.wait_for_serial(MARKER, timeout=90)
    assert "IMAGE-MARK-7" in in_guest(child_guest, "head -c 12 /dev/vda; echo")
