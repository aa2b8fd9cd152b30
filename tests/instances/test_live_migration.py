"""Live migration between the two namespaced hosts of the lab (tests/support/lab.py), on the real
job with the tiny TCG guest: it keeps running, the row moves, an abort leaves it where it was."""

import re
import subprocess
from pathlib import Path

import libvirt
from django.urls import reverse
from lxml import etree

from hosts.models import Host
from instances.build.operations import FIREWALL_SPEC
from instances.inventory import sync_host
from instances.models import Instance
from instances.services import request_operation
from jobs.services import request_stop
from tests.support.guest import define_tiny_guest, kernel
from tests.support.instances import in_guest, succeeded
from tests.support.lab_hosts import lab_guest, lookup, volumes_of
from tests.support.waiting import wait_for_operation, wait_until
from virt.domains import read_domains

NETWORK = "<network><name>lvc-lab-net</name><bridge name='lvclabnet0'/></network>"
COUNTER = "(i=0; while true; do i=$((i+1)); echo tick-$i > /dev/ttyS0; sleep 0.3; done) & true"


def boot_id(guest) -> str:
    """The guest kernel's boot id (a new one at every boot)."""
    found = re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                      in_guest(guest, "cat /proc/sys/kernel/random/boot_id"))  # fmt: skip
    assert found, "no boot id read from the guest"
    return found.group()


def last_tick(guest) -> int:
    ticks = re.findall(r"tick-(\d+)", guest.serial_text())
    return int(ticks[-1]) if ticks else 0


def migrate(instance, dest, user, **params):
    return request_operation(instance=instance, kind="instance.live_migrate", user=user,
                             params={"destination": dest.pk, **params})  # fmt: skip


def test_a_running_guest_moves_to_the_other_host_without_a_reboot(lab_hosts, lab_conns, shared_storage, spawn_on,
                                                                  admin_user):  # fmt: skip
    source, dest = lab_hosts
    instance = spawn_on(source)
    guest = lab_guest(lab_conns[source.name], instance)
    booted = boot_id(guest)
    in_guest(guest, COUNTER)
    wait_until(lambda: last_tick(guest) >= 3, timeout=30, what="the counter ticking on the serial line")
    before = last_tick(guest)

    op = succeeded(wait_for_operation(migrate(instance, dest, admin_user).pk, timeout=180))

    assert lookup(lab_conns[source.name], instance) is None  # gone from the source, as virsh sees it
    moved = lookup(lab_conns[dest.name], instance)
    assert moved is not None and moved.isActive() and moved.isPersistent()
    row = Instance.objects.get(pk=instance.pk)
    assert (row.host_id, row.uuid, row.state) == (dest.pk, instance.uuid, "running")
    there = lab_guest(lab_conns[dest.name], row)
    wait_until(lambda: last_tick(there) > before + 3, timeout=60, what="the counter going on after the move")
    assert boot_id(there) == booted  # the same boot
    assert f"Moved to {dest.name}" in op.message and op.result["downtime_ms"] is not None
    assert op.result["url"] == reverse("instance-detail", args=[instance.pk])


def test_an_aborted_migration_leaves_the_guest_running_where_it_was(lab_hosts, lab_conns, spawn_on, tiny_flavor,
                                                                     admin_user):  # fmt: skip
    source, dest = lab_hosts
    networks = [conn.networkCreateXML(NETWORK) for conn in lab_conns.values()]
    try:
        tiny_flavor.extra_specs = {FIREWALL_SPEC: "clean-traffic"}  # a filter of its own, copied ahead
        tiny_flavor.save()
        instance = spawn_on(source, networks=("lvc-lab-net",))  # on local storage: its disk is copied
        guest = lab_guest(lab_conns[source.name], instance)
        booted = boot_id(guest)
        op = migrate(instance, dest, admin_user, bandwidth_mib=1, auto_converge=False)  # minutes at 1 MiB/s

        wait_until(lambda: "MiB sent" in type(op).objects.get(pk=op.pk).message, timeout=60, what="the copy")
        request_stop(type(op).objects.get(pk=op.pk), user=admin_user)
        op = wait_for_operation(op.pk, timeout=30)

        assert op.status == "aborted", f"{op.status}: {op.error or op.message}"
        assert lookup(lab_conns[dest.name], instance) is None  # nothing left at the destination:
        assert volumes_of(lab_conns[dest.name], instance.uuid) == []  # no volume,
        assert not [f for f in lab_conns[dest.name].listAllNWFilters(0) if str(instance.uuid) in f.name()]  # no filter
        assert lookup(lab_conns[source.name], instance).isActive()
        assert volumes_of(lab_conns[source.name], instance.uuid)  # its own disks untouched
        row = Instance.objects.get(pk=instance.pk)
        assert (row.host_id, row.state) == (source.pk, "running")
        assert boot_id(guest) == booted  # unharmed, not rebooted
    finally:
        for network in networks:
            network.destroy()


def test_a_guest_on_local_storage_moves_with_its_disk(lab_hosts, lab_conns, spawn_on, admin_user):
    source, dest = lab_hosts
    instance = spawn_on(source)  # its volumes in each host's own instance pool (not shared)
    in_guest(lab_guest(lab_conns[source.name], instance), "echo MARK-4242 > /dev/vda; sync")

    succeeded(wait_for_operation(migrate(instance, dest, admin_user).pk, timeout=300))

    there = lab_guest(lab_conns[dest.name], Instance.objects.get(pk=instance.pk))
    assert "MARK-4242" in in_guest(there, "echo 3 > /proc/sys/vm/drop_caches; head -c 9 /dev/vda")
    assert volumes_of(lab_conns[source.name], instance.uuid) == []  # the source's copies are gone
    disk = lab_conns[dest.name].storageVolLookupByPath(lookup_disk(lab_conns[dest.name], instance))
    backing = etree.fromstring(disk.XMLDesc(0).encode()).findtext("backingStore/path")
    assert backing and lab_conns[dest.name].storageVolLookupByPath(backing).name().startswith("disk-")  # cached base


def lookup_disk(conn, instance) -> str:
    """The path of the instance's vda on the host behind `conn`."""
    root = etree.fromstring(lookup(conn, instance).XMLDesc(0).encode())
    return root.xpath("devices/disk[target/@dev='vda']/source/@file")[0]


ISOLATED = "<network><name>lvc-lab-only</name><bridge name='lvclabonly0'/></network>"
FORCED_CPU = "<cpu mode='custom' match='exact' check='none'><model fallback='allow'>Skylake-Server</model></cpu>"


def refused(instance, dest, user, sentence: str, conns) -> None:
    """The migration fails with `sentence` and changes nothing: the guest runs where it was."""
    source_name = instance.host.name
    op = wait_for_operation(migrate(instance, dest, user).pk, timeout=120)
    assert op.status == "failed" and sentence in op.error, op.error
    assert lookup(conns[source_name], instance).isActive()
    assert all(lookup(conn, instance) is None for name, conn in conns.items() if name != source_name)
    row = Instance.objects.get(pk=instance.pk)
    assert (row.host_id, row.state) == (instance.host_id, "running")


def test_each_failed_check_refuses_the_move_and_changes_nothing(lab_hosts, lab_conns, shared_storage, spawn_on,
                                                                admin_user, settings):  # fmt: skip
    source, dest = lab_hosts
    network = lab_conns[source.name].networkCreateXML(ISOLATED)  # on the source only
    try:
        instance = spawn_on(source, networks=("lvc-lab-only",))
        refused(instance, source, admin_user, f"{source.name} is the instance's own host: choose another host.",
                lab_conns)  # fmt: skip
        refused(instance, dest, admin_user, f"Network lvc-lab-only does not exist or is not active on {dest.name}.",
                lab_conns)  # fmt: skip
        settings.MEMORY_OVERCOMMIT_RATIO = 0.001
        refused(instance, dest, admin_user, f"{dest.name} has not enough memory: the guest needs 128 MiB", lab_conns)
        gone = Host.objects.create(name="lab-gone", uri="qemu+tcp://10.213.7.1:1/system")  # the bridge: no daemon
        refused(instance, gone, admin_user, "lab-gone is down: the guest can only move to a host that answers",
                lab_conns)  # fmt: skip
    finally:
        network.destroy()


def test_a_cpu_the_destination_cannot_give_refuses_the_move(lab_hosts, lab_conns, shared_storage, spawn_on,
                                                            admin_user):  # fmt: skip
    source, dest = lab_hosts
    instance = spawn_on(source)
    domain = lookup(lab_conns[source.name], instance)
    domain.destroy()  # started again with a CPU model forced through (TCG lacks its features)
    root = etree.fromstring(domain.XMLDesc(libvirt.VIR_DOMAIN_XML_SECURE).encode())
    for cpu in root.findall("cpu"):
        root.remove(cpu)
    root.append(etree.fromstring(FORCED_CPU))
    lab_conns[source.name].defineXML(etree.tostring(root, encoding="unicode")).create()
    refused(instance, dest, admin_user, f"The guest's CPU (Skylake-Server) is not compatible with what {dest.name} "
            "can give it.", lab_conns)  # fmt: skip


def test_files_the_destination_lacks_and_too_little_space_refuse_the_move(lab, lab_hosts, lab_conns, spawn_on,
                                                                           admin_user):  # fmt: skip
    source, dest = lab_hosts
    adopted = define_tiny_guest(lab_conns[source.name])  # its kernel is a file of this machine, in no pool
    sync_host(source, read_domains(lab_conns[source.name]))
    instance = Instance.objects.get(host=source, name=adopted.name)
    refused(instance, dest, admin_user, f"The guest's kernel is {kernel()}, which {dest.name} does not have in any "
            "storage pool.", lab_conns)  # fmt: skip

    instance = spawn_on(source)  # its disks on each host's own storage: they must fit there
    folder = Path(lookup_disk(lab_conns[source.name], instance)).parent
    libvirtd = lab.hosts[dest.name].process.pid
    (lab.hosts[dest.name].root / "lib" / folder.relative_to("/var/lib/libvirt")).mkdir(parents=True, exist_ok=True)
    subprocess.run(["nsenter", "-t", str(libvirtd), "-m", "mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs",
                    str(folder)], check=True)  # fmt: skip
    try:
        refused(instance, dest, admin_user, f"{dest.name} has not enough space in {folder}: the disks to copy take",
                lab_conns)  # fmt: skip
    finally:
        subprocess.run(["nsenter", "-t", str(libvirtd), "-m", "umount", str(folder)], check=True)
