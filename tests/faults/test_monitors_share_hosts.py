"""Two monitors (real `manage.py monitor` processes) share the hosts: every host is watched by
exactly one of them. The one watching this machine is killed with SIGKILL: the other takes its
hosts over, and a change made behind the console's back still reaches an open page. A clean stop
hands every host over at once."""

import libvirt
import pytest
from django.db.models.functions import Now

from hosts.models import Host, HostLease, MonitorMember
from instances.models import Instance, InstanceState
from live.broadcast import current_seq
from tests.support.live_socket import next_event, open_page_socket
from tests.support.processes import ManagedProcess, process_env
from tests.support.waiting import seconds_until, wait_until

pytestmark = pytest.mark.qemu
LEASE_TTL = 2.0  # seconds: a killed monitor's hosts move after about 1.2 × this


def start_monitor(tmp_path, n: int) -> ManagedProcess:
    env = process_env(MONITOR_INTERVAL="1", MONITOR_LEASE_TTL=str(LEASE_TTL))
    return ManagedProcess("monitor", log_path=tmp_path / f"monitor-{n}.log", env=env).start()


def holders() -> dict[int, int]:
    """host pk -> the process id of the monitor holding its unexpired lease."""
    live = HostLease.objects.filter(expires__gt=Now()).values_list("host_id", "monitor")
    return {pk: int(monitor.split(":")[1]) for pk, monitor in live}


def test_a_killed_monitors_hosts_are_taken_over_and_changes_still_reach_an_open_page(
    spawn, qemu_host, qemu_conn, asgi_server, admin_user, tmp_path
):
    unreachable = [
        Host.objects.create(name=f"elsewhere {n}", uri=f"qemu+unix:///system?socket=/nonexistent/lvc-share-{n}.sock")
        for n in range(11)
    ]
    hosts = {qemu_host.pk, *(host.pk for host in unreachable)}
    guest = spawn()
    monitors = {process.pid: process for process in (start_monitor(tmp_path, 1), start_monitor(tmp_path, 2))}
    logs = lambda: "\n".join(process.log()[-1500:] for process in monitors.values())  # noqa: E731
    try:
        wait_until(lambda: set(holders()) == hosts and set(holders().values()) == set(monitors), timeout=30,
                   what=lambda: f"both monitors holding a share of the hosts: {holders()}\n{logs()}")  # fmt: skip
        epoch = HostLease.objects.get(host=qemu_host).epoch
        victim = monitors.pop(holders()[qemu_host.pk])
        (survivor,) = monitors.values()
        with open_page_socket(asgi_server.url, admin_user, since=current_seq()) as page:
            victim.kill()
            qemu_conn.lookupByName(guest.name).suspend()  # behind the console's back, while nobody watches

            took = seconds_until(lambda: holders().get(qemu_host.pk) == survivor.pid, timeout=15,
                                 what=lambda: f"the survivor taking this machine over\n{logs()}")  # fmt: skip
            event = next_event(page, lambda e: e["kind"] == "instance" and e["data"]["id"] == guest.pk, timeout=30)
            assert event["data"]["state"] == InstanceState.PAUSED
            assert Instance.objects.get(pk=guest.pk).state == InstanceState.PAUSED
            assert HostLease.objects.get(host=qemu_host).epoch > epoch, "a takeover raises the epoch"
            wait_until(lambda: set(holders().values()) == {survivor.pid} and set(holders()) == hosts, timeout=15,
                       what=lambda: f"every host with the survivor: {holders()}")  # fmt: skip
            print(f"this machine watched again {took:.1f} s after the kill (lease {LEASE_TTL:g} s)")

        survivor.stop()  # SIGTERM: a clean stop
        assert not holders(), "every lease released"
        assert not MonitorMember.objects.filter(name__contains=f":{survivor.pid}:").exists()
    finally:
        for process in monitors.values():
            process.stop()
        domain = qemu_conn.lookupByName(guest.name)
        if domain.state()[0] == libvirt.VIR_DOMAIN_PAUSED:
            domain.resume()
