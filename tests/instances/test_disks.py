"""Disks of a running tiny guest, changed by the real jobs and checked from outside: in libvirt's
live and persistent definitions, and inside the guest over its serial console."""

import uuid

import libvirt
import pytest
from django.test import Client
from django.urls import reverse
from lxml import etree

from hosts.services import probe
from instances.models import Instance
from tests.support.instances import in_guest, succeeded, wait_in_guest
from virt.storage import create_volume

pytestmark = pytest.mark.qemu
POOL = "lvc-test-instances"
MIB = 1024**2


@pytest.fixture
def volume(qemu_conn):
    """volume(size_mib) -> the name of a new qcow2 volume in the test instance pool (removed after)."""
    made = []

    def make(size_mib: int = 16, fmt: str = "qcow2") -> str:
        name = f"lvc-test-vol-{uuid.uuid4().hex[:8]}"
        create_volume(qemu_conn, POOL, name=name, capacity=size_mib * MIB, fmt=fmt)
        made.append(name)
        return name

    yield make
    pool = qemu_conn.storagePoolLookupByName(POOL)
    for name in made:
        try:
            pool.storageVolLookupByName(name).delete(0)
        except libvirt.libvirtError:
            pass


def path_of(conn, name: str) -> str:
    return conn.storagePoolLookupByName(POOL).storageVolLookupByName(name).path()


def disks(guest, *, inactive: bool = False) -> dict[str, str]:
    """{target: source} of the live (or persistent) definition."""
    root = etree.fromstring(guest.domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0))
    return {disk.find("target").get("dev"): _source(disk) for disk in root.findall("devices/disk")}


def _source(disk) -> str:
    source = disk.find("source")
    return "" if source is None else source.get("file", "")


def test_attached_volume_shows_up_in_the_guest_and_goes_on_detach(running, run_op, volume, qemu_conn, admin_user):
    instance, guest = running
    name = volume(16)
    op = succeeded(run_op(instance, "instance.attach_volume", pool=POOL, volume=name))
    assert (op.result["target"], op.message) == ("vdb", f"Attached {name} as vdb")
    path = path_of(qemu_conn, name)
    assert disks(guest)["vdb"] == path and disks(guest, inactive=True)["vdb"] == path
    wait_in_guest(guest, "cat /sys/block/vdb/size", "32768")  # 16 MiB in 512-byte sectors

    client = Client()
    client.force_login(admin_user)
    page = client.get(reverse("instance-detail", args=[instance.pk])).content.decode()
    assert path in page and "16.0 MiB" in page  # the disk with its size, read after the attach
    probe(instance.host)  # the host's inventory (pools, volumes) as the monitor would read it
    storage = client.get(reverse("storage-pools", args=[instance.host_id])).content.decode()
    assert f"{instance.name}</a> (vdb)" in storage  # volume usage per host

    succeeded(run_op(instance, "instance.detach_volume", target="vdb"))
    assert "vdb" not in disks(guest) and "vdb" not in disks(guest, inactive=True)
    wait_in_guest(guest, "ls /sys/block", "vdb", present=False)
    assert "vdb" not in [d["target"] for d in Instance.objects.get(pk=instance.pk).details["disks"]]
    assert path_of(qemu_conn, name) == path  # the volume itself is kept


def test_a_target_asked_for_is_used_and_a_taken_one_refused(running, run_op, volume):
    instance, guest = running
    op = succeeded(run_op(instance, "instance.attach_volume", pool=POOL, volume=volume(), target="vdd"))
    assert op.result["target"] == "vdd" and "vdd" in disks(guest, inactive=True)
    op = run_op(instance, "instance.attach_volume", pool=POOL, volume=volume(), target="vdd")
    assert (op.status, op.error) == ("failed", "vdd is already in use on this instance.")
    op = run_op(instance, "instance.attach_volume", pool=POOL, volume=volume(), bus="virtio", target="sdb")
    assert op.status == "failed" and "'sdb' is not a name for a virtio disk" in op.error


def test_swap_copies_the_running_disk_onto_another_volume(running, run_op, volume, qemu_conn):
    instance, guest = running
    first, second = volume(16), volume(16)
    succeeded(run_op(instance, "instance.attach_volume", pool=POOL, volume=first))
    wait_in_guest(guest, "cat /sys/block/vdb/size", "32768")
    in_guest(guest, "echo SWAP-MARK-1 > /dev/vdb; sync")

    op = succeeded(run_op(instance, "instance.swap_volume", target="vdb", pool=POOL, volume=second))
    assert op.message == f"vdb now runs on {second}"
    new_path = path_of(qemu_conn, second)
    assert disks(guest)["vdb"] == new_path and disks(guest, inactive=True)["vdb"] == new_path
    assert guest.domain.isActive()
    assert "SWAP-MARK-1" in in_guest(guest, "echo 3 > /proc/sys/vm/drop_caches; head -c 11 /dev/vdb; echo")


def test_grow_a_running_disk(running, run_op, volume):
    instance, guest = running
    succeeded(run_op(instance, "instance.attach_volume", pool=POOL, volume=volume(16)))
    wait_in_guest(guest, "cat /sys/block/vdb/size", "32768")
    succeeded(run_op(instance, "instance.grow_disk", target="vdb", capacity=32 * MIB))
    wait_in_guest(guest, "cat /sys/block/vdb/size", "65536")
    op = run_op(instance, "instance.grow_disk", target="vdb", capacity=8 * MIB)
    assert op.status == "failed" and "A disk can only grow" in op.error


def test_a_guest_that_does_not_release_the_disk_keeps_it(running, run_op, volume):
    instance, guest = running
    succeeded(run_op(instance, "instance.attach_volume", pool=POOL, volume=volume()))
    guest.domain.suspend()  # a paused guest cannot answer the unplug request
    op = run_op(instance, "instance.detach_volume", target="vdb", timeout=3)
    assert op.status == "failed"
    assert op.error.startswith("The guest did not release disk vdb within 3 s")
    assert "vdb" in disks(guest, inactive=True)  # nothing half done: the definition keeps it


def test_cdrom_eject_and_insert(running, run_op, volume, qemu_conn):
    instance, guest = running
    cdrom = next(d for d in Instance.objects.get(pk=instance.pk).details["disks"] if d["device"] == "cdrom")
    target = cdrom["target"]
    succeeded(run_op(instance, "instance.change_media", target=target))
    assert disks(guest)[target] == "" and disks(guest, inactive=True)[target] == ""
    iso = volume(1, fmt="raw")
    op = succeeded(run_op(instance, "instance.change_media", target=target, pool=POOL, volume=iso))
    assert op.message == f"{iso} inserted in {target}"
    assert disks(guest)[target] == path_of(qemu_conn, iso) == disks(guest, inactive=True)[target]
