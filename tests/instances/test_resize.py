"""Resize and cold migration between the two namespaced hosts of the lab (tests/support/lab.py) and on
one host, on the real jobs with the tiny TCG guest: the guest sees its new size, Revert brings back
exactly what was there, Confirm leaves nothing behind, and a refused resize changes nothing."""

import re

import libvirt

from instances.models import Flavor, Instance
from instances.resize.settle import confirm_due
from instances.services import request_operation
from jobs.services import request_stop
from tests.support.instances import in_guest, succeeded
from tests.support.lab_hosts import lab_guest, lookup, volumes_of
from tests.support.waiting import wait_for_operation, wait_until

GIB = 1024**3
INACTIVE = libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE


def run(instance, kind: str, user, timeout: float = 300, **params):
    return wait_for_operation(request_operation(instance=instance, kind=kind, user=user, params=params).pk,
                              timeout=timeout)  # fmt: skip


def resize(instance, flavor, dest, user):
    return run(instance, "instance.resize", user, flavor=flavor.pk, destination=dest.pk)


def size_seen(guest) -> tuple[int, int, int]:
    """(vCPUs, MemTotal in MiB, vda in bytes) as the guest kernel sees them."""
    out = in_guest(guest, "grep -c ^processor /proc/cpuinfo; grep MemTotal /proc/meminfo; cat /sys/block/vda/size")
    cpus, memory, sectors = re.search(r"(\d+)\s+MemTotal:\s+(\d+) kB\s+(\d+)", out).groups()
    return int(cpus), int(memory) // 1024, int(sectors) * 512


def big_flavor() -> Flavor:
    return Flavor.objects.create(name="tiny-big", vcpus=2, memory_mib=192, disk_gib=2)


def test_a_running_guest_resized_onto_the_other_host_then_reverted(lab_hosts, lab_conns, spawn_on, admin_user):
    source, dest = lab_hosts
    instance = spawn_on(source)  # on each host's own storage: its disks are copied
    in_guest(lab_guest(lab_conns[source.name], instance), "echo MARK-7731 > /dev/vda; sync")
    original = lookup(lab_conns[source.name], instance).XMLDesc(INACTIVE)
    flavor = big_flavor()

    op = succeeded(resize(instance, flavor, dest, admin_user))

    row = Instance.objects.get(pk=instance.pk)
    assert (row.host_id, row.flavor_id, row.state, row.resizing) == (dest.pk, flavor.pk, "running", True)
    assert lookup(lab_conns[source.name], instance) is None  # undefined there; its disks kept until Confirm
    assert volumes_of(lab_conns[source.name], instance.uuid)
    there = lab_guest(lab_conns[dest.name], row)
    cpus, memory, disk = size_seen(there)
    assert (cpus, disk) == (2, 2 * GIB) and memory > 140  # 192 MiB less what the kernel keeps
    assert "MARK-7731" in in_guest(there, "head -c 9 /dev/vda")
    assert "MiB copied" in op.message and op.result["downtime_s"] > 0

    succeeded(run(row, "instance.revert_resize", admin_user))

    row = Instance.objects.get(pk=instance.pk)
    assert (row.host_id, row.flavor.name, row.state, row.resizing) == (source.pk, "tiny", "running", False)
    assert lookup(lab_conns[source.name], instance).XMLDesc(INACTIVE) == original  # byte-equal
    assert lookup(lab_conns[dest.name], instance) is None and volumes_of(lab_conns[dest.name], instance.uuid) == []
    back = lab_guest(lab_conns[source.name], row)
    cpus, memory, disk = size_seen(back)
    assert (cpus, disk) == (1, GIB) and memory < 128
    assert "MARK-7731" in in_guest(back, "head -c 9 /dev/vda")


def test_a_shut_off_guest_cold_migrated_and_confirmed_by_the_window(lab_hosts, lab_conns, spawn_on, admin_user,
                                                                     tiny_flavor, settings):  # fmt: skip
    source, dest = lab_hosts
    instance = spawn_on(source)
    in_guest(lab_guest(lab_conns[source.name], instance), "echo MARK-5150 > /dev/vda; sync")
    succeeded(run(instance, "instance.stop", admin_user))

    op = succeeded(resize(instance, tiny_flavor, dest, admin_user))  # the same flavor: a cold migration
    assert "guest down" not in op.message  # it was off, and stays off
    assert not lookup(lab_conns[dest.name], instance).isActive()

    settings.RESIZE_CONFIRM_WINDOW = 1
    queued = []
    wait_until(lambda: queued.extend(confirm_due()) or queued, timeout=30, what="the resize confirmed by itself")
    confirmed = succeeded(wait_for_operation(queued[0], timeout=120))
    assert "automatically" in confirmed.message
    assert volumes_of(lab_conns[source.name], instance.uuid) == []  # nothing left at the source
    row = Instance.objects.get(pk=instance.pk)
    assert (row.host_id, row.resizing) == (dest.pk, False)
    succeeded(run(row, "instance.start", admin_user))
    assert "MARK-5150" in in_guest(lab_guest(lab_conns[dest.name], row), "head -c 9 /dev/vda")


def test_a_resize_in_place_confirmed_or_reverted_keeps_or_restores_its_disk(lab_hosts, lab_conns, spawn_on,
                                                                           admin_user):  # fmt: skip
    source, _dest = lab_hosts
    instance = spawn_on(source)
    guest = lab_guest(lab_conns[source.name], instance)
    in_guest(guest, "echo MARK-BEFORE > /dev/vda; sync")
    flavor = big_flavor()

    succeeded(resize(instance, flavor, source, admin_user))
    assert size_seen(guest)[0] == 2 and size_seen(guest)[2] == 2 * GIB
    in_guest(guest, "echo MARK-AFTER- > /dev/vda; sync")  # written after the resize: Revert drops it
    succeeded(run(instance, "instance.revert_resize", admin_user))
    assert size_seen(guest)[0] == 1 and size_seen(guest)[2] == GIB
    assert "MARK-BEFORE" in in_guest(guest, "head -c 11 /dev/vda")
    assert not [v.name() for v in volumes_of(lab_conns[source.name], instance.uuid) if "pre-resize" in v.name()]

    succeeded(resize(Instance.objects.get(pk=instance.pk), flavor, source, admin_user))
    succeeded(run(instance, "instance.confirm_resize", admin_user))
    row = Instance.objects.get(pk=instance.pk)
    assert (row.flavor_id, row.resizing, row.vcpus) == (flavor.pk, False, 2)
    assert not [v.name() for v in volumes_of(lab_conns[source.name], instance.uuid) if "pre-resize" in v.name()]
    assert size_seen(guest)[0] == 2


def test_a_refused_resize_says_why_and_changes_nothing(lab_hosts, lab_conns, spawn_on, admin_user, settings):
    source, dest = lab_hosts
    instance = spawn_on(source)
    before = lookup(lab_conns[source.name], instance).XMLDesc(INACTIVE)
    smaller = Flavor.objects.create(name="tiny-diskless", vcpus=1, memory_mib=128, disk_gib=0)
    op = resize(instance, smaller, source, admin_user)
    assert op.status == "failed" and "smaller than the instance's 1 GiB: a disk never shrinks" in op.error, op.error
    settings.MEMORY_OVERCOMMIT_RATIO = 0.001
    op = resize(instance, big_flavor(), dest, admin_user)
    assert op.status == "failed" and f"{dest.name} has not enough memory: the guest needs 192 MiB" in op.error
    domain = lookup(lab_conns[source.name], instance)
    assert domain.isActive() and domain.XMLDesc(INACTIVE) == before  # never powered off, unchanged
    assert lookup(lab_conns[dest.name], instance) is None
    row = Instance.objects.get(pk=instance.pk)
    assert (row.host_id, row.state, row.resizing, row.flavor.name) == (source.pk, "running", False, "tiny")


FILL = "dd if=/dev/zero of=/dev/vda bs=1M count=24 2>/dev/null; echo MARK-3141 > /dev/vda; sync"  # 24 MiB to copy


def test_an_aborted_copy_puts_the_guest_back_running_where_it_was(lab_hosts, lab_conns, spawn_on, admin_user):
    source, dest = lab_hosts
    instance = spawn_on(source)
    in_guest(lab_guest(lab_conns[source.name], instance), FILL)
    original = lookup(lab_conns[source.name], instance).XMLDesc(INACTIVE)
    op = request_operation(instance=instance, kind="instance.resize", user=admin_user,
                           params={"flavor": big_flavor().pk, "destination": dest.pk, "bandwidth_mib": 2})  # fmt: skip
    wait_until(lambda: "Copying disks" in type(op).objects.get(pk=op.pk).message, timeout=120, what="the copy")
    request_stop(type(op).objects.get(pk=op.pk), user=admin_user)
    op = wait_for_operation(op.pk, timeout=120)

    assert op.status == "aborted", f"{op.status}: {op.error or op.message}"
    domain = lookup(lab_conns[source.name], instance)
    assert domain.isActive() and domain.XMLDesc(INACTIVE) == original  # started again, as it was
    assert lookup(lab_conns[dest.name], instance) is None and volumes_of(lab_conns[dest.name], instance.uuid) == []
    row = Instance.objects.get(pk=instance.pk)
    assert (row.host_id, row.state, row.resizing, row.flavor.name) == (source.pk, "running", False, "tiny")
    assert "MARK-3141" in in_guest(lab_guest(lab_conns[source.name], row), "head -c 9 /dev/vda")
