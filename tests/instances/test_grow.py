"""Growing a running tiny TCG guest on the real job: a flavor with room to grow (extra specs
lvc:max_vcpus / lvc:max_memory_mib) gives vCPUs and memory the guest sees at once and its
definition keeps; beyond the room nothing changes."""

import re

import libvirt
import pytest
from lxml import etree

from instances.models import Instance
from tests.support.guest import MARKER
from tests.support.instances import guest_of, in_guest, succeeded, wait_in_guest

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
