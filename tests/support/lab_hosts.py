"""Fixtures of the multi-host harness (tests/support/lab.py): the two namespaced hosts registered
as Host rows, instances spawned on them through the real job, and their shared storage."""

import contextlib
import uuid
from pathlib import Path

import libvirt
import pytest

from hosts.connections import pool
from hosts.models import Host, HostStatus
from hosts.services import probe
from instances.models import Instance
from instances.services import create_instance
from tests.support.guest import MARKER, NAME_PREFIX, TinyGuest, remove_domain
from tests.support.lab import ROOT, SHARED, Lab
from tests.support.waiting import wait_for_operation, wait_until

PRIVATE = Path("/var/lib/libvirt")  # each lab host's own


@pytest.fixture(scope="session")
def lab():
    """Two more libvirtds, each in its own network and mount namespace, up for the session."""
    hosts = Lab()
    try:
        yield hosts.up()
    finally:
        for host in hosts.hosts.values():  # closed while their daemons still answer
            pool().drop(host.uri)
        hosts.down()


@pytest.fixture
def lab_conns(lab):
    """{name: connection} to each lab host (over TCP, as the console reaches them)."""
    conns = {name: libvirt.open(host.uri) for name, host in lab.hosts.items()}
    yield conns
    for conn in conns.values():
        for domain in conn.listAllDomains(0):
            if domain.name().startswith(NAME_PREFIX):
                remove_domain(conn, domain.name())
        conn.close()


@pytest.fixture
def lab_hosts(lab, lab_conns, transactional_db) -> tuple[Host, Host]:
    """The two lab hosts as Host rows (probed: up, with their facts), with their migration address."""
    rows = []
    for name, host in lab.hosts.items():
        row = Host.objects.create(name=name, uri=host.uri, migration_address=host.address)
        probe(row)
        row.refresh_from_db()
        rows.append(row)
    return rows[0], rows[1]


@pytest.fixture
def shared_storage(settings):
    """Instance volumes on the storage both lab hosts see (the image cache stays each host's own)."""
    settings.INSTANCE_POOL_NAME = "lvc-lab-shared"
    settings.INSTANCE_POOL_PATH = str(SHARED / "instances")


@pytest.fixture
def spawn_on(tiny_flavor, tiny_image, rq_worker, admin_user, lab_conns):
    """spawn_on(host, **options) -> an Instance spawned by the real job on a lab host, booted."""

    made = []

    def make(host: Host, **options) -> Instance:
        name = f"{NAME_PREFIX}{uuid.uuid4().hex[:8]}"
        op = create_instance(host=host, name=name, flavor=tiny_flavor, image=tiny_image, user=admin_user, **options)
        made.append(Instance.objects.get(pk=op.target_id).uuid)
        op = wait_for_operation(op.pk, timeout=180)
        assert op.status == "succeeded", f"spawn {op.status}: {op.error}"
        instance = Instance.objects.get(pk=op.target_id)
        lab_guest(lab_conns[host.name], instance).wait_for_serial(MARKER, timeout=120)
        return instance

    yield make
    for conn in lab_conns.values():  # its domain goes with lab_conns; its volumes, wherever they are
        for instance_uuid in made:
            for volume in volumes_of(conn, instance_uuid):
                volume.delete(0)


def volumes_of(conn, instance_uuid) -> list:
    """The volumes named after the instance in every pool of the host behind `conn`."""
    found = []
    for storage in conn.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE):
        storage.refresh(0)
        found += [volume for volume in storage.listAllVolumes(0) if volume.name().startswith(str(instance_uuid))]
    return found


def lab_guest(conn, instance: Instance) -> TinyGuest:
    """The instance as a TinyGuest on `conn`; its serial log read where this namespace sees it (a
    lab host's /var/lib/libvirt is its own folder under the lab's root)."""
    instance.refresh_from_db()
    log = Path(instance.details["serial_log"])
    if log.is_relative_to(PRIVATE):
        log = ROOT / instance.host.name / "lib" / log.relative_to(PRIVATE)
    return TinyGuest(conn=conn, name=instance.name, serial_log=log)


def lookup(conn, instance: Instance):
    """The instance's domain on `conn`, None when it has none."""
    with contextlib.suppress(libvirt.libvirtError):
        return conn.lookupByUUIDString(str(instance.uuid))
    return None


@contextlib.contextmanager
def switched_off(lab, host, lab_conns):
    """The lab host switched off (daemon and guests gone) until the block ends, when it is switched on
    again; the monitor has seen it down when the block starts."""
    machine = lab.hosts[host.name]
    machine.power_off()
    try:
        wait_until(lambda: Host.objects.get(pk=host.pk).status == HostStatus.DOWN, timeout=30,
                   what="the monitor seeing the host down")  # fmt: skip
        yield
    finally:
        machine.start()
        lab_conns[host.name] = libvirt.open(machine.uri)
