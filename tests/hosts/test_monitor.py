"""The monitor keeps host status current: down within seconds, up again when the host returns."""

import os
import signal
import time

import pytest

from hosts.connections import pool
from hosts.models import Host, HostStatus
from tests.support.libvirtd import PrivateLibvirtd
from tests.support.monitor import running_monitor
from tests.support.waiting import seconds_until
from virt.errors import HostUnreachable

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def monitor():
    with running_monitor() as monitor:
        yield monitor


def wait_for_status(host: Host, status: str, *, timeout: float) -> float:
    """Seconds until the host's row shows `status`."""

    def still() -> str:
        row = Host.objects.get(pk=host.pk)
        return f"{host.name} {status} (still {row.status}: {row.last_error})"

    return seconds_until(lambda: Host.objects.get(pk=host.pk).status == status, timeout=timeout, what=still)


def test_dead_host_is_marked_down_while_the_other_stays_up(monitor, test_host, dead_host):
    wait_for_status(dead_host, HostStatus.DOWN, timeout=5)
    wait_for_status(test_host, HostStatus.UP, timeout=5)

    dead = Host.objects.get(pk=dead_host.pk)
    assert "Host unreachable" in dead.last_error and "Connection refused" in dead.last_error
    assert Host.objects.get(pk=test_host.pk).hypervisor.startswith("TEST")


def test_a_host_added_while_running_is_watched(monitor, db):
    host = Host.objects.create(name="late", uri="test:///default")
    wait_for_status(host, HostStatus.UP, timeout=5)


def test_libvirtd_stop_and_start_flip_the_host_without_restarting_the_monitor(monitor, tmp_path):
    daemon = PrivateLibvirtd(tmp_path / "libvirtd")
    daemon.start()
    try:
        host = Host.objects.create(name="private", uri=daemon.uri)
        wait_for_status(host, HostStatus.UP, timeout=10)

        daemon.stop()
        seconds_to_down = wait_for_status(host, HostStatus.DOWN, timeout=5)
        assert "libvirtd stopped" in Host.objects.get(pk=host.pk).last_error

        daemon.start()
        seconds_to_up = wait_for_status(host, HostStatus.UP, timeout=15)
    finally:
        daemon.stop()
    print(f"down after {seconds_to_down:.2f} s, up after {seconds_to_up:.2f} s")


def test_a_call_to_a_frozen_host_fails_instead_of_hanging(tmp_path):
    """Workers' connections have keepalive too: a host that stops answering fails the call."""
    daemon = PrivateLibvirtd(tmp_path / "libvirtd")
    daemon.start()
    try:
        with pool().connection(daemon.uri) as conn:
            conn.getVersion()
        os.kill(daemon.process.pid, signal.SIGSTOP)
        started = time.monotonic()
        with pytest.raises(HostUnreachable, match="keepalive"):
            with pool().connection(daemon.uri) as conn:
                conn.listAllDomains(0)
        elapsed = time.monotonic() - started
    finally:
        os.kill(daemon.process.pid, signal.SIGCONT)
        pool().drop(daemon.uri)
        daemon.stop()
    assert elapsed < 15, f"the call hung for {elapsed:.1f} s"
