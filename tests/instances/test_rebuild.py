"""Rebuild on the real job with the tiny TCG guest: a fresh root disk from the image (what was
written is gone) and a fresh config drive, with the same row, name, UUID, flavor and NIC MACs."""

import subprocess

import libvirt
import pytest
from lxml import etree

from instances.models import Instance
from tests.support.guest import MARKER
from tests.support.instances import guest_image, guest_of, in_guest, succeeded

pytestmark = pytest.mark.qemu


def identity(conn, instance) -> tuple[str, str, list[str]]:
    """(name, UUID, NIC MACs) as libvirt defines the instance."""
    domain = conn.lookupByUUIDString(str(instance.uuid))
    root = etree.fromstring(domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    return domain.name(), domain.UUIDString(), root.xpath("devices/interface/mac/@address")


def backing(conn, instance) -> str:
    """The base image file under the instance's root disk, as the running guest uses it."""
    root = etree.fromstring(conn.lookupByUUIDString(str(instance.uuid)).XMLDesc(0))
    return root.xpath("devices/disk[target/@dev='vda']/backingStore/source/@file")[0]


def test_a_rebuild_gives_a_fresh_disk_from_another_image_and_keeps_who_it_is(spawn, qemu_conn, run_op, isolated,
                                                                              tmp_path):  # fmt: skip
    instance = spawn(networks=(isolated,))
    guest = guest_of(qemu_conn, instance)
    guest.wait_for_serial(MARKER, timeout=90)
    in_guest(guest, "echo MARK-6502 > /dev/vda; sync")
    before, base = identity(qemu_conn, instance), backing(qemu_conn, instance)
    disk = tmp_path / "other.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "48M"], check=True)
    other = guest_image(name="tiny-other", disk=disk)

    op = succeeded(run_op(instance, "instance.rebuild", wait=240, image=other.pk))

    assert op.message == "Rebuilt from tiny-other and started"
    assert identity(qemu_conn, instance) == before and len(before[2]) == 1
    row = Instance.objects.get(pk=instance.pk)
    assert (row.name, row.uuid, row.flavor_id, row.image_id, row.state) == (
        instance.name, instance.uuid, instance.flavor_id, other.pk, "running")  # fmt: skip
    guest.wait_for_serial(MARKER, timeout=90)
    assert "MARK-6502" not in in_guest(guest, "head -c 9 /dev/vda")  # what was written is gone
    assert backing(qemu_conn, instance) != base and "/disk-" in backing(qemu_conn, instance)  # the other image's


def test_a_rebuild_refuses_an_instance_with_snapshots_and_changes_nothing(spawn, qemu_conn, run_op):
    instance = spawn()
    guest = guest_of(qemu_conn, instance)
    guest.wait_for_serial(MARKER, timeout=90)
    in_guest(guest, "echo MARK-8086 > /dev/vda; sync")
    succeeded(run_op(instance, "instance.snapshot_create", name="s1"))
    op = run_op(instance, "instance.rebuild", image=instance.image_id)
    assert op.status == "failed" and "has snapshots of the disk being replaced: delete them first." in op.error
    assert "MARK-8086" in in_guest(guest, "head -c 9 /dev/vda")
