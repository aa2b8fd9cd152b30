"""The monitor's work per host stays bounded: no second read of a host queued while one runs, the
host row written only when something changed, and the slow facts (pools, networks) read on a
long interval or after a pool or network event."""

import os
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import libvirt
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hosts.models import Host, HostStatus
from hosts.monitor import Monitor
from instances.inventory import sync_host
from instances.models import Instance
from tests.networks.support import random_subnet
from tests.support.monitor import running_monitor
from tests.support.waiting import wait_until
from virt.domains import read_domains
from virt.host import read_facts
from virt.networks import define_network
from virt.watch import HostWatch

pytestmark = pytest.mark.django_db(transaction=True)
SHARED_TEST_URI = "test+unix:///default"  # libvirt's test driver in the local libvirtd: one state for all


def test_a_slow_host_gets_no_queue_of_reads():
    release, calls = threading.Event(), []

    def on_up(conn):
        calls.append(conn)
        release.wait(10)

    watch = HostWatch("test:///default", on_up=on_up, on_down=lambda message: None)
    with ThreadPoolExecutor(max_workers=4) as executor:
        watch.poll(executor)
        wait_until(lambda: calls, timeout=10, what="the first read")
        for _ in range(5):  # refresh ticks while the first read still runs
            watch.refresh(executor)
        release.set()
        wait_until(lambda: not watch._refreshing, timeout=10, what="the read ending")
        watch.refresh(executor)
        wait_until(lambda: len(calls) == 2, timeout=10, what="the next read once the first ended")
    watch.close()
    assert len(calls) == 2


def host_writes(monitor: Monitor, host: Host, conn, *, slow: bool) -> int:
    """UPDATEs of the host's row while the monitor applies one read of it."""
    monitor.events.put(("up", host.pk, (read_facts(conn, uri=host.uri, slow=slow), read_domains(conn), 0.0)))
    with CaptureQueriesContext(connection) as queries:
        monitor.apply_events()
    return sum(1 for query in queries if query["sql"].startswith('UPDATE "hosts_host" '))


def test_the_host_row_is_written_only_when_something_changed():
    host = Host.objects.create(name="quiet", uri="test:///default")
    monitor = Monitor(name="only")
    monitor.ownership.step([host.pk])
    conn = libvirt.open("test:///default")
    try:
        assert host_writes(monitor, host, conn, slow=True) == 1  # first seen: up, with its facts
        assert Host.objects.get(pk=host.pk).status == HostStatus.UP
        assert host_writes(monitor, host, conn, slow=False) == 0
        assert host_writes(monitor, host, conn, slow=True) == 0
        Host.objects.filter(pk=host.pk).update(status=HostStatus.DOWN, last_error="gone for a moment")
        assert host_writes(monitor, host, conn, slow=False) == 1
        assert Host.objects.get(pk=host.pk).status == HostStatus.UP
    finally:
        conn.close()


def test_a_network_defined_behind_the_consoles_back_is_read_at_the_next_refresh(settings):
    """The slow facts are due only every MONITOR_FACTS_INTERVAL (an hour here), but a network
    event makes the next refresh read them."""
    settings.MONITOR_FACTS_INTERVAL = 3600
    host = Host.objects.create(name="embedded", uri=SHARED_TEST_URI)
    name = f"lvc-test-net-{uuid.uuid4().hex[:6]}"
    names = lambda: {n["name"] for n in Host.objects.get(pk=host.pk).inventory.get("networks", [])}  # noqa: E731
    other = libvirt.open(SHARED_TEST_URI)
    try:
        with running_monitor():
            wait_until(lambda: "default" in names(), timeout=10, what="the first read of the networks")
            network = define_network(other, name=name, mode="isolated", **random_subnet())
            wait_until(lambda: name in names(), timeout=10, what=lambda: f"{name} in the inventory: {names()}")
            network.undefine()
            wait_until(lambda: name not in names(), timeout=10, what="the network gone from the inventory")
    finally:
        if name in other.listDefinedNetworks():
            other.networkLookupByName(name).undefine()
        other.close()


def test_definitions_a_monitor_left_unread_are_read_by_the_next_holder():
    """A monitor adopted the host's domains and lost the host before it read their definitions
    (its late write refused): the next holder reads them, although it adopts nothing new."""
    host = Host.objects.create(name="handed-over", uri="test:///default")
    conn = libvirt.open("test:///default")  # the same domains as any other connection's at first
    try:
        sync_host(host, read_domains(conn))
    finally:
        conn.close()
    rows = Instance.objects.filter(host=host)
    assert rows.exists() and not rows.exclude(details={}).exists()
    with running_monitor():
        wait_until(lambda: not rows.filter(details={}).exists(), timeout=10, what="the definitions read")
    assert {(row.details["vcpus"], row.details["memory_mib"]) for row in rows} == {(2, 2048)}


def test_the_reader_threads_yield_the_cpu_to_pages_and_leases(settings):
    """Connecting and bulk reads run MONITOR_READER_NICE steps kinder than the lease thread and the
    process's other threads (web requests, when they share a machine), as `ps -L -o nice` shows."""
    settings.MONITOR_READER_NICE = 7
    Host.objects.create(name="niced", uri="test:///default")

    def nice_of(prefix: str) -> set[int]:
        threads = [t for t in threading.enumerate() if t.name.startswith(prefix)]
        return {os.getpriority(os.PRIO_PROCESS, t.native_id) for t in threads}

    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    with running_monitor() as monitor:
        wait_until(lambda: Host.objects.get(name="niced").status == HostStatus.UP, timeout=20, what="the host up")
        monitor.executor.submit(lambda: None).result(10)  # at least one reader thread started
        assert nice_of("monitor-connect") == {own + 7}
        assert nice_of("monitor-leases") == {own}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own


def test_a_monitors_hosts_are_reread_each_in_its_own_turn_not_all_at_once():
    """Each host is re-read once per interval at its own phase, so a monitor of many hosts reads a
    few at a time instead of all of them in one burst every interval."""
    hosts = [Host.objects.create(name=f"turn-{n}", uri=f"test:///default?turn={n}") for n in range(8)]
    before = time.monotonic()
    with running_monitor(refresh_interval=600) as monitor:
        wait_until(lambda: not Host.objects.exclude(status=HostStatus.UP).exists(), timeout=20, what="hosts up")
        started = time.monotonic()
        due = {pk: monitor.refresh_due[pk] - started for pk in (host.pk for host in hosts)}
        assert all(600 < seconds + started - before for seconds in due.values()), due  # the first read was the connect
        assert all(seconds < 1200 for seconds in due.values()), due
        quarters = Counter(int((seconds % 600) // 150) for seconds in due.values())
        assert max(quarters.values()) <= 3, quarters  # spread over the interval

        reread, first = [], hosts[0].pk
        original = monitor.watches[first].refresh
        monitor.watches[first].refresh = lambda executor: (reread.append(time.monotonic()), original(executor))
        monitor.refresh_due[first] = time.monotonic()  # its turn now
        wait_until(lambda: reread, timeout=10, what="the host re-read in its turn")
        assert 599 < monitor.refresh_due[first] - reread[0] <= 601  # and next one interval later
        assert len(reread) == 1 and all(monitor.refresh_due[pk] > time.monotonic() + 500 for pk in due if pk != first)

        late = time.monotonic() - 1500  # two and a half turns missed (the monitor was stopped)
        monitor.refresh_due[first] = late
        wait_until(lambda: len(reread) == 2, timeout=10, what="the late host re-read")
        assert monitor.refresh_due[first] == late + 1800  # once, not once per missed turn, its phase kept
