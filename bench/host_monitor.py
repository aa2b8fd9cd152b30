"""Benchmark: how fast the monitor notices a host going down and coming back, and whether page
speed for the other hosts changes while one is down. Prints figures; asserts nothing.

    .venv/bin/python bench/host_monitor.py [--hosts 20] [--requests 200]

Uses a throw-away database in a temp folder, the real Redis, a private libvirtd (its own mount
namespace, like the tests) for the host that goes down, and libvirt's test driver for the rest."""

from support import WORK, page_times  # first: sets Django up on throw-away state

# isort: split

import argparse
import os
import signal
import threading
import time

from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from hosts.models import Host
from hosts.monitor import Monitor
from tests.support.libvirtd import PrivateLibvirtd


def wait_status(host: Host, status: str, timeout: float = 30) -> float:
    started = time.monotonic()
    while Host.objects.get(pk=host.pk).status != status:
        if time.monotonic() - started > timeout:
            raise SystemExit(f"{host.name} not {status} after {timeout} s")
        time.sleep(0.01)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=20, help="test-driver hosts besides the one that goes down")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    admin = User.objects.create_superuser("bench", "", "bench-password-123")
    client = Client()
    client.force_login(admin)
    daemon = PrivateLibvirtd(WORK / "libvirtd")
    daemon.start()
    victim = Host.objects.create(name="victim", uri=daemon.uri)
    others = [Host.objects.create(name=f"test-{i}", uri=f"test:///default?bench={i}") for i in range(args.hosts)]

    monitor = Monitor(refresh_interval=5)
    stop = threading.Event()
    threading.Thread(target=monitor.run, args=(stop,), daemon=True).start()
    try:
        up_all = max(wait_status(host, "up") for host in [victim, *others])
        print(f"{len(others) + 1} hosts up after the monitor started: {up_all:.2f} s")
        pages = {"host list": reverse("host-list"), "other host's page": reverse("host-detail", args=[others[0].pk])}
        for name, url in pages.items():
            print(f"{name}, all hosts up: {page_times(client, url, args.requests)}")

        daemon.stop()
        print(f"libvirtd stopped -> host shown down after {wait_status(victim, 'down'):.2f} s")
        for name, url in pages.items():
            print(f"{name}, one host down: {page_times(client, url, args.requests)}")

        daemon.start()
        print(f"libvirtd started -> host shown up after {wait_status(victim, 'up'):.2f} s")

        os.kill(daemon.process.pid, signal.SIGSTOP)  # a host that stops answering without closing
        print(f"libvirtd frozen (SIGSTOP) -> host shown down after {wait_status(victim, 'down'):.2f} s (keepalive)")
        os.kill(daemon.process.pid, signal.SIGCONT)
        print(f"libvirtd thawed -> host shown up after {wait_status(victim, 'up'):.2f} s")
    finally:
        stop.set()
        daemon.stop()


if __name__ == "__main__":
    main()
