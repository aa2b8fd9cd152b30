"""Every lifecycle operation drives the real tiny guest and is checked from outside (libvirt, serial)."""

import subprocess
import time

import libvirt
import pytest
from lxml import etree

from instances.models import Instance, InstanceState
from instances.operation_support import instance_lock
from instances.services import Busy, request_operation
from jobs.services import start_operation
from tests.support.guest import MARKER
from tests.support.instances import guest_of, instance_volumes, succeeded
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.qemu


def wait_for_markers(guest, count: int, *, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while guest.serial_text().count(MARKER) < count:
        assert time.monotonic() < deadline, f"{MARKER} not seen {count} times on serial within {timeout} s"
        time.sleep(0.2)


def state_of(instance: Instance) -> str:
    return Instance.objects.get(pk=instance.pk).state


def test_graceful_power_off_uses_acpi_then_start_boots_again(running, run_op):
    instance, guest = running
    op = succeeded(run_op(instance, "instance.stop"))
    assert op.message == "Powered off by the guest (ACPI)"
    assert "power button pressed" in guest.serial_text()
    assert guest.domain.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF
    assert state_of(instance) == InstanceState.SHUTOFF

    succeeded(run_op(instance, "instance.start"))
    assert guest.domain.isActive() and state_of(instance) == InstanceState.RUNNING
    wait_for_markers(guest, 2)


def test_force_off_pulls_the_plug(running, run_op):
    instance, guest = running
    op = succeeded(run_op(instance, "instance.stop", force=True))
    assert op.message == "Forced off" and not guest.domain.isActive()
    assert "power button pressed" not in guest.serial_text()


def test_soft_reboot_restarts_the_guest_through_acpi(running, run_op):
    instance, guest = running
    op = succeeded(run_op(instance, "instance.reboot"))
    assert op.message == "Rebooted"
    assert "power button pressed" in guest.serial_text()
    wait_for_markers(guest, 2)
    assert state_of(instance) == InstanceState.RUNNING


def test_soft_reboot_of_a_guest_ignoring_acpi_escalates_to_hard(spawn, qemu_conn, tiny_flavor, run_op):
    tiny_flavor.extra_specs = {"hw:acpi": "false"}
    tiny_flavor.save()
    instance = spawn(flavor=tiny_flavor)
    guest = guest_of(qemu_conn, instance)
    guest.wait_for_serial(MARKER, timeout=90)
    op = succeeded(run_op(instance, "instance.reboot", timeout=4, retry=2))
    assert op.message == "No shutdown within 4 s: rebooted hard"
    assert guest.domain.isActive()


def test_hard_reboot(running, run_op):
    instance, guest = running
    op = succeeded(run_op(instance, "instance.reboot", hard=True))
    assert op.message == "Rebooted hard" and guest.domain.isActive()


def test_pause_and_unpause(running, run_op):
    instance, guest = running
    succeeded(run_op(instance, "instance.pause"))
    assert guest.domain.state()[0] == libvirt.VIR_DOMAIN_PAUSED and state_of(instance) == InstanceState.PAUSED
    succeeded(run_op(instance, "instance.unpause"))
    assert guest.domain.state()[0] == libvirt.VIR_DOMAIN_RUNNING and state_of(instance) == InstanceState.RUNNING


def test_suspend_saves_memory_and_resume_restores_the_same_boot(running, run_op):
    instance, guest = running
    guest.run_on_serial("echo saved-$((40+2)) > /tmp/mark && cat /tmp/mark", "saved-42")
    succeeded(run_op(instance, "instance.suspend"))
    assert not guest.domain.isActive() and guest.domain.hasManagedSaveImage(0)
    assert state_of(instance) == InstanceState.SUSPENDED

    op = succeeded(run_op(instance, "instance.start"))
    assert op.message == "Resumed from saved memory"
    assert "saved-42" in guest.run_on_serial("cat /tmp/mark", "saved-42")  # the same boot: /tmp kept
    assert guest.serial_text().count(MARKER) == 1


def test_nmi_reaches_the_guest_kernel(running, run_op):
    instance, guest = running
    succeeded(run_op(instance, "instance.nmi"))
    guest.wait_for_serial("NMI received", timeout=20)


def test_autostart_on_and_off(running, run_op):
    instance, guest = running
    succeeded(run_op(instance, "instance.autostart", enabled=True))
    assert guest.domain.autostart() == 1 and Instance.objects.get(pk=instance.pk).autostart
    succeeded(run_op(instance, "instance.autostart", enabled=False))
    assert guest.domain.autostart() == 0


def test_rescue_boots_the_rescue_image_and_unrescue_restores_the_definition(running, run_op, qemu_conn, tmp_path):
    instance, guest = running
    original = etree.tostring(etree.fromstring(guest.domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)))

    op = succeeded(run_op(instance, "instance.rescue"))
    assert op.message == "Rescued with tiny"
    wait_for_markers(guest, 2)
    assert "lvc-rescue" in guest.run_on_serial("cat /proc/cmdline", "lvc-rescue")
    assert "/dev/vdb" in guest.run_on_serial("ls /dev/vd*", "/dev/vdb")  # the instance's own disk, moved down
    rescued = etree.fromstring(guest.domain.XMLDesc(0))
    sources = [d.get("file") for d in rescued.iterfind("devices/disk/source")]
    assert sources[0].endswith("-rescue.qcow2") and sources[1].endswith("-disk.qcow2")
    rescue_xml = tmp_path / "rescue.xml"
    rescue_xml.write_text(guest.domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    subprocess.run(["virt-xml-validate", str(rescue_xml), "domain"], check=True, capture_output=True)
    assert Instance.objects.get(pk=instance.pk).rescued

    succeeded(run_op(instance, "instance.unrescue"))
    restored = etree.tostring(etree.fromstring(guest.domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)))
    assert restored == original
    assert f"{instance.uuid}-rescue.qcow2" not in instance_volumes(qemu_conn, instance.uuid)
    assert not Instance.objects.get(pk=instance.pk).rescued
    assert "lvc-rescue" not in guest.run_on_serial("cat /proc/cmdline", "console=ttyS0")


def test_delete_leaves_nothing_behind(running, run_op, qemu_conn):
    instance, guest = running
    succeeded(run_op(instance, "instance.suspend"))  # a managed-save image to remove too
    op = succeeded(run_op(instance, "instance.delete"))
    assert op.message == "Deleted with 4 volume(s)" or op.message == "Deleted with 3 volume(s)"
    with pytest.raises(libvirt.libvirtError):
        qemu_conn.lookupByName(instance.name)
    assert instance_volumes(qemu_conn, instance.uuid) == []
    assert not guest.serial_log.exists()
    assert not Instance.objects.filter(pk=instance.pk).exists()


def test_a_second_operation_while_one_is_pending_is_refused(running, admin_user):
    instance, _guest = running
    first = request_operation(instance=instance, kind="instance.pause", user=admin_user)
    with pytest.raises(Busy, match="Busy: Pause instance is"):
        request_operation(instance=instance, kind="instance.stop", user=admin_user)
    wait_for_operation(first.pk)


def test_the_instance_lock_keeps_two_workers_apart(running, admin_user):
    instance, guest = running
    with instance_lock(instance.pk):  # as if another worker were running an operation on it
        op = start_operation(kind="instance.pause", target=instance, user=admin_user)
        op = wait_for_operation(op.pk)
    assert op.status == "failed" and "Busy" in op.error
    assert guest.domain.state()[0] == libvirt.VIR_DOMAIN_RUNNING


def test_state_checks_give_clear_errors(running, run_op):
    instance, _guest = running
    op = run_op(instance, "instance.unpause")
    assert op.status == "failed" and op.error == f"Cannot unpause {instance.name}: it is running."
