"""Growing a running tiny TCG guest on the real job: a flavor with room to grow (extra specs
lvc:max_vcpus / lvc:max_memory_mib) gives vCPUs and memory the guest sees at once and its
definition keeps; beyond the room nothing changes."""

import json
import re

import libvirt
import libvirt_qemu
import pytest
from lxml import etree

from instances.models import Instance
from tests.support.guest import MARKER
from tests.support.instances import guest_of, in_guest, succeeded, wait_in_guest
from tests.support.waiting import wait_until

pytestmark = pytest.mark.qemu


def seen(guest) -> tuple[int, int]:
    """(online vCPUs, MemTotal in MiB) as the guest kernel sees them."""
    out = in_guest(guest, "grep -c ^processor /proc/cpuinfo; grep MemTotal /proc/meminfo")
    cpus, memory = re.search(r"(\d+)\s+MemTotal:\s+(\d+) kB", out).groups()
    return int(cpus), int(memory) // 1024


def test_a_running_guest_grows_within_its_room_and_keeps_it(spawn, qemu_conn, run_op, tiny_flavor):
    tiny_flavor.extra_specs = {"lvc:max_vcpus": "2", "lvc:max_memory_mib": "256"}
    tiny_flavor.save()
    instance = spawn()
    guest = guest_of(qemu_conn, instance)
    guest.wait_for_serial(MARKER, timeout=90)
    cpus, memory = seen(guest)
    assert cpus == 1 and memory < 128  # the balloon holds it at the flavor's 128 MiB

    op = run_op(instance, "instance.grow", vcpus=3, memory_mib=200)
    assert op.status == "failed" and "allows at most 2 vCPUs while running" in op.error
    assert seen(guest)[0] == 1

    op = succeeded(run_op(instance, "instance.grow", vcpus=2, memory_mib=256))
    assert op.message.startswith("Now 2 vCPU and 256 MiB")
    wait_in_guest(guest, "grep -c ^processor /proc/cpuinfo", "2")
    assert seen(guest)[1] > 200  # the balloon let go
    root = etree.fromstring(qemu_conn.lookupByName(instance.name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    vcpus = int(root.find("vcpu").get("current", root.findtext("vcpu")))  # libvirt drops current= at the maximum
    assert (vcpus, int(root.findtext("currentMemory"))) == (2, 256 * 1024)
    row = Instance.objects.get(pk=instance.pk)
    assert (row.vcpus, row.memory_mib) == (2, 256)


def test_a_vcpu_change_qemu_refuses_takes_the_memory_back(spawn, qemu_conn, run_op, tiny_flavor):
    tiny_flavor.extra_specs = {"lvc:max_vcpus": "2", "lvc:max_memory_mib": "256"}
    tiny_flavor.save()
    instance = spawn()
    guest_of(qemu_conn, instance).wait_for_serial(MARKER, timeout=90)
    domain = qemu_conn.lookupByName(instance.name)
    free = next(cpu for cpu in qmp(domain, "query-hotpluggable-cpus") if "qom-path" not in cpu)
    qmp(domain, "device_add", {"driver": free["type"], "id": "taken-behind-libvirt", **free["props"]})
    flavors_size = ((1, 128 * 1024), (1, 128 * 1024))  # (vCPUs, memory KiB) running and defined
    wait_until(lambda: sizes(domain) == flavors_size, timeout=60,
               what=lambda: f"the balloon at 128 MiB: {sizes(domain)}")  # fmt: skip

    before = Instance.objects.get(pk=instance.pk)
    op = run_op(instance, "instance.grow", vcpus=2, memory_mib=256)  # QEMU refuses the slot libvirt picks
    assert op.status == "failed" and op.error.startswith("The guest's QEMU refused 2 vCPUs ("), op.error
    assert op.error.endswith("its memory was set back: it still has 1 vCPU and 128 MiB.")
    wait_until(lambda: sizes(domain) == flavors_size, timeout=60,
               what=lambda: f"the memory it raised first taken back: {sizes(domain)}")  # fmt: skip
    row = Instance.objects.get(pk=instance.pk)
    assert (row.vcpus, row.memory_mib) == (before.vcpus, before.memory_mib)


def qmp(domain, command: str, arguments: dict | None = None):
    """A QMP command sent to the guest's QEMU behind libvirt's back (it taints the domain)."""
    message = {"execute": command, **({"arguments": arguments} if arguments else {})}
    return json.loads(libvirt_qemu.qemuMonitorCommand(domain, json.dumps(message), 0))["return"]


def sizes(domain) -> tuple[tuple[int, int], tuple[int, int]]:
    """((vCPUs, currentMemory KiB) running, (the same) defined)."""

    def read(flags: int) -> tuple[int, int]:
        root = etree.fromstring(domain.XMLDesc(flags))
        return int(root.find("vcpu").get("current", root.findtext("vcpu"))), int(root.findtext("currentMemory"))

    return read(0), read(libvirt.VIR_DOMAIN_XML_INACTIVE)
