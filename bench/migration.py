"""Benchmark: our live migration (the real job, checks included) against a plain
`virsh migrate --live --p2p` of the same guest, between the two namespaced lab hosts
(tests/support/lab.py), with its disk on shared storage and on each host's own storage. The guest
goes back and forth: ours one way, virsh the other, `--rounds` times. Prints, per kind, total
seconds and downtime (as the destination's libvirt reports it) for both, their ratios, and the
time our checks took; then a host's maintenance draining `--drain` guests against virsh moving
them back one after another; then `--cold` cold migrations and a resize of a guest with 1 GiB in its
overlay, our disk copy against `virsh vol-download | virsh vol-upload`. Asserts nothing.

    .venv/bin/python bench/migration.py [--rounds 3] [--drain 5] [--cold 2]
"""

from support import WORK  # first: sets Django up on throw-away state

# isort: split

import argparse
import statistics
import subprocess
import time
import uuid

import django_rq
import libvirt
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from lxml import etree

from hosts.connections import pool
from hosts.models import Host
from hosts.services import probe
from instances.inventory import sync_host
from instances.models import Flavor, Instance
from instances.services import request_operation
from jobs.registry import QUEUES
from jobs.services import start_operation
from tests.support.guest import GUEST_DIR, LOG_DIR, MARKER, TinyGuest, tiny_guest_xml
from tests.support.lab import SHARED, Lab
from tests.support.worker import WorkerThread
from virt import images
from virt.domains import read_domains
from virt.migration_storage import volume_definition
from virt.storage import volume_xml

TARGETS = "targets: total and downtime <= 1.1x virsh; our checks <= 300 ms; cold copy <= 1.1x virsh vol-download|upload"
MIB = 1024 * 1024
# (name, folder) of the bench's pool, shared or not: each lab host's /var/lib/libvirt is its own.
POOLS = {
    True: ("lvc-bench-shared", str(SHARED / "bench")),
    False: ("lvc-bench-local", "/var/lib/libvirt/images/lvc-bench"),
}


def pool_on(conn, name: str, path: str):
    """The dir pool `name` at `path` on the host behind `conn`, made and started when missing."""
    images.ensure_pool(conn, name, path)
    return conn.storagePoolLookupByName(name)


def guest_with_disk(source, dest, *, shared: bool, size: int = 64 * MIB) -> str:
    """A tiny guest booted on `source` with a qcow2 disk of `size` bytes (cache none) in a pool both
    hosts have (at the same path: one folder when `shared`, each its own otherwise). Returns its name."""
    name = f"lvc-bench-{uuid.uuid4().hex[:6]}"
    pools = [pool_on(conn, *POOLS[shared]) for conn in (source, dest)]
    for conn in (source, dest):  # its kernel and initrd, as a pool both have (checked before a move)
        pool_on(conn, "lvc-bench-kernel", str(GUEST_DIR))
    path = pools[0].createXML(volume_xml(f"{name}.qcow2", size, "qcow2"), 0).path()
    root = etree.fromstring(tiny_guest_xml(name, serial_log=LOG_DIR / f"{name}.log").encode())
    disk = etree.SubElement(root.find("devices"), "disk", type="file", device="disk")
    etree.SubElement(disk, "driver", name="qemu", type="qcow2", cache="none")
    etree.SubElement(disk, "source", file=path)
    etree.SubElement(disk, "target", dev="vda", bus="virtio")
    source.defineXML(etree.tostring(root, encoding="unicode")).create()
    TinyGuest(conn=source, name=name, serial_log=LOG_DIR / f"{name}.log").wait_for_serial(MARKER, timeout=120)
    return name


def disk_volume(conn, name: str):
    """The volume of the guest's vda on the host behind `conn`."""
    root = etree.fromstring(conn.lookupByName(name).XMLDesc(0).encode())
    return conn.storageVolLookupByPath(root.xpath("devices/disk[target/@dev='vda']/source/@file")[0])


def downtime(conn, name: str) -> float:
    return conn.lookupByName(name).jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED).get("downtime", 0)


def ours(instance: Instance, dest: Host, user) -> tuple[float, float, float]:
    """(seconds, downtime ms, checks ms) of the live migration job, from queued to finished."""
    started = time.monotonic()
    op = request_operation(instance=instance, kind="instance.live_migrate", user=user, params={"destination": dest.pk})
    while not op.is_finished:
        time.sleep(0.02)
        op.refresh_from_db()
    assert op.status == "succeeded", f"{op.status}: {op.error}"
    return time.monotonic() - started, op.result["downtime_ms"], op.result["checks_ms"]


def virsh(source: Host, dest: Host, name: str, dest_conn, *, shared: bool) -> tuple[float, float]:
    storage = ["--unsafe"] if shared else ["--copy-storage-inc"]
    command = ["virsh", "-c", source.uri, "migrate", "--live", "--p2p", "--persistent", "--undefinesource",
               *storage, name, dest.uri, dest.migration_uri]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - started, downtime(dest_conn, name)


def run(kind: str, hosts: tuple[Host, Host], conns: dict, user, rounds: int) -> None:
    a, b = hosts
    shared = kind == "shared"
    name = guest_with_disk(conns[a.name], conns[b.name], shared=shared)
    sync_host(a, read_domains(conns[a.name]))  # the monitor's adoption, done here
    instance = Instance.objects.get(host=a, name=name)
    mine, theirs = [], []
    for _ in range(rounds):
        mine.append(ours(instance, b, user))
        instance.refresh_from_db()
        volume = None if shared else disk_volume(conns[b.name], name)
        if volume is not None:  # virsh copies into a volume that must be there already
            pool_on(conns[a.name], *POOLS[False]).createXML(volume_definition(volume), 0)
        theirs.append(virsh(b, a, name, conns[a.name], shared=shared))
        if volume is not None:  # and leaves the source's behind (our job removes it)
            volume.delete(0)
        Instance.objects.filter(pk=instance.pk).update(host=a)  # virsh moved it back behind our back
        instance.refresh_from_db()
    total = (statistics.median(m[0] for m in mine), statistics.median(t[0] for t in theirs))
    down = (statistics.median(m[1] for m in mine), statistics.median(t[1] for t in theirs))
    checks = statistics.median(m[2] for m in mine)
    print(f"{kind:>10}: total ours {total[0]:.2f} s, virsh {total[1]:.2f} s (ratio {total[0] / total[1]:.2f}); "
          f"downtime ours {down[0]:.0f} ms, virsh {down[1]:.0f} ms (ratio {down[0] / max(down[1], 1):.2f}); "
          f"our checks {checks:.0f} ms")  # fmt: skip
    conns[a.name].lookupByName(name).destroy()


def drain(hosts: tuple[Host, Host], conns: dict, user, count: int) -> None:
    """Host maintenance moving `count` guests off a host (MAINTENANCE_PARALLEL at a time), against
    virsh moving them back one after another."""
    a, b = hosts
    names = [guest_with_disk(conns[a.name], conns[b.name], shared=True) for _ in range(count)]
    sync_host(a, read_domains(conns[a.name]))
    started = time.monotonic()
    op = start_operation(kind="host.maintenance", target=a, user=user)
    while not op.is_finished:
        time.sleep(0.05)
        op.refresh_from_db()
    ours_seconds = time.monotonic() - started
    assert op.status == "succeeded", op.error
    started = time.monotonic()
    for name in names:
        virsh(b, a, name, conns[a.name], shared=True)
    virsh_seconds = time.monotonic() - started
    at_once = settings.MAINTENANCE_PARALLEL
    print(f"{'drain':>10}: {count} guests off a host, ours {ours_seconds:.2f} s ({at_once} at a time), "
          f"virsh one after another {virsh_seconds:.2f} s (ratio {ours_seconds / virsh_seconds:.2f})")  # fmt: skip
    for name in names:
        conns[a.name].lookupByName(name).destroy()


def resized(instance: Instance, flavor: Flavor, dest: Host, user) -> dict:
    """The resize job's result (moved to `dest` at `flavor`, then confirmed)."""
    results = []
    for kind, params in (("instance.resize", {"flavor": flavor.pk, "destination": dest.pk}),
                         ("instance.confirm_resize", {})):  # fmt: skip
        op = request_operation(instance=instance, kind=kind, user=user, params=params)
        while not op.is_finished:
            time.sleep(0.05)
            op.refresh_from_db()
        assert op.status == "succeeded", f"{kind} {op.status}: {op.error}"
        results.append(op.result)
        instance.refresh_from_db()
    return results[0]


def virsh_copy(source: Host, dest: Host, volume, dest_conn) -> float:
    """Seconds `virsh vol-download | virsh vol-upload` takes to copy `volume` from source to dest
    (into a new volume of the same definition beside the guest's there, removed after)."""
    name = f"{volume.name()}-virsh"
    dest_pool = pool_on(dest_conn, *POOLS[False])
    made = dest_pool.createXML(volume_definition(volume, name), 0)
    pipe = (f"virsh -q -c {source.uri} vol-download --pool {POOLS[False][0]} {volume.name()} /dev/stdout | "
            f"virsh -q -c {dest.uri} vol-upload --pool {POOLS[False][0]} {name} /dev/stdin")  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(["bash", "-o", "pipefail", "-c", pipe], capture_output=True, text=True)
    seconds = time.monotonic() - started
    made.delete(0)
    assert done.returncode == 0, done.stderr
    return seconds


def cold(hosts: tuple[Host, Host], conns: dict, user, rounds: int) -> None:
    """Cold migrations back and forth, then a resize onto the other host, of a running guest with 1 GiB
    written into its overlay: our copy against virsh's pipe of the same volume, and the guest's downtime."""
    a, b = hosts
    name = guest_with_disk(conns[a.name], conns[b.name], shared=False, size=1024 * MIB)
    TinyGuest(conn=conns[a.name], name=name, serial_log=LOG_DIR / f"{name}.log").run_on_serial(
        "dd if=/dev/zero of=/dev/vda bs=1M count=1023 2>/dev/null; sync; echo FILLED-$((2*3))", "FILLED-6",
        timeout=900)  # fmt: skip
    sync_host(a, read_domains(conns[a.name]))
    instance = Instance.objects.get(host=a, name=name)
    same = Flavor.objects.create(name="bench-cold", vcpus=1, memory_mib=128, disk_gib=1)
    bigger = Flavor.objects.create(name="bench-bigger", vcpus=2, memory_mib=192, disk_gib=2)
    for step in range(rounds + 1):
        source, dest = (a, b) if step % 2 == 0 else (b, a)
        flavor = same if step < rounds else bigger
        result = resized(instance, flavor, dest, user)
        theirs = virsh_copy(dest, source, disk_volume(conns[dest.name], name), conns[source.name])  # same bytes back
        what = "cold migration" if flavor == same else "resize"
        print(f"{what:>14}: {result['copied_bytes'] / MIB:.0f} MiB copied, ours {result['copy_seconds']:.2f} s, "
              f"virsh vol-download|vol-upload {theirs:.2f} s (ratio {result['copy_seconds'] / theirs:.2f}); "
              f"guest down {result['downtime_s']:.1f} s (power off to running)")  # fmt: skip
    conns[b.name if rounds % 2 == 0 else a.name].lookupByName(name).destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--drain", type=int, default=5, help="guests the drain moves")
    parser.add_argument("--cold", type=int, default=2, help="cold migrations (then one resize); 0: none")
    args = parser.parse_args()
    libvirt.registerErrorHandler(lambda *_: None, None)
    call_command("migrate", verbosity=0)
    django_rq.get_connection("default").flushdb()
    user = User.objects.create_superuser("bench", "bench@example.com", "x")
    lab = Lab().up()
    worker = WorkerThread(*(django_rq.get_queue(name) for name in QUEUES)).start()
    conns = {name: libvirt.open(host.uri) for name, host in lab.hosts.items()}
    try:
        # Consoles on every address of a host: virsh moves the guest back without rewriting them.
        hosts = tuple(Host.objects.create(name=name, uri=host.uri, migration_address=host.address,
                                          console_address="0.0.0.0")
                      for name, host in lab.hosts.items())  # fmt: skip
        for host in hosts:
            probe(host)
        print(f"{args.rounds} rounds each way; state in {WORK}; {TARGETS}")
        for kind in ("shared", "local") if args.rounds else ():
            run(kind, hosts, conns, user, args.rounds)
        if args.drain:
            drain(hosts, conns, user, args.drain)
        if args.cold:
            cold(hosts, conns, user, args.cold)
    finally:
        worker.stop()
        for conn in conns.values():  # closed while their daemons still answer
            conn.close()
        for host in lab.hosts.values():
            pool().drop(host.uri)
        lab.down()


if __name__ == "__main__":
    main()
