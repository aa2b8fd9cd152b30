"""Benchmark: the console scaled out on this one machine, on PostgreSQL and Redis: K monitor
processes sharing H libvirt test-driver hosts of N instances each, then W worker processes.
Prints figures, with CPU seconds per component; asserts nothing.

    .venv/bin/python bench/scaleout.py [--hosts 1000] [--per-host 100] [--monitors 4] [--workers 1,2,4]
        [--web 2] [--sockets 500] [--rate 10]

Measured: cold adoption of H×N instances by K monitors and their steady CPU; failover after
`kill -9` of one monitor (seconds until each of its hosts has a new holder; one lease row per
host, so never two holders); operations per second with W workers on distinct instances; 50
concurrent requests for one instance while its first operation is active (exactly one accepted);
the instance list page at H×N (monitors steady, then taking a killed one's hosts over); event →
page latency to 500 logged-in websockets on 2 web processes (bench/swarm.py).

Uses a throw-away PostgreSQL database on 127.0.0.1:5432 (BENCH_POSTGRES_URL) and Redis db 14."""

import on_postgres  # first: the database Django is set up on
from support import ROOT, WORK, cpu_seconds, fresh_state, pct, spread, wait_until  # then Django, on it

# isort: split

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import django_rq
from django.contrib.auth.models import User
from django.db import connections
from django.db.models.functions import Now
from django.test import Client
from django.urls import reverse
from inventory import write_node
from rq import Worker
from rq.suspension import resume, suspend
from swarm import live_latency

from hosts.models import Host, HostLease, HostStatus
from instances.models import Instance
from instances.services import request_operation
from jobs.models import Operation
from jobs.services import Busy


def start(*args: str, log: str, **env: str) -> subprocess.Popen:
    with open(WORK / log, "ab") as out:
        return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, env=os.environ | env)  # fmt: skip


def build(hosts: int, per_host: int) -> None:
    for h in range(hosts):
        write_node(WORK / f"node-{h:04d}.xml", h, per_host)
    Host.objects.bulk_create(Host(name=f"h-{h:04d}", uri=f"test://{WORK / f'node-{h:04d}.xml'}") for h in range(hosts))


def holder_pids() -> dict[int, int]:
    live = HostLease.objects.filter(expires__gt=Now()).values_list("host_id", "monitor")
    return {pk: int(monitor.split(":")[1]) for pk, monitor in live}


def monitors_phase(args, total: int) -> list[subprocess.Popen]:
    print(f"\n== {args.monitors} monitors, {args.hosts} hosts × {args.per_host} instances ==")
    started = time.monotonic()
    monitors = [start("monitor", log=f"monitor-{n}.log", MONITOR_INTERVAL="30", MONITOR_LEASE_TTL="10")
                for n in range(args.monitors)]  # fmt: skip
    adopted = wait_until(lambda: Instance.objects.count() >= total
                         and not Host.objects.exclude(status=HostStatus.UP).exists(), timeout=900, step=1)  # fmt: skip
    cpu = [cpu_seconds(m.pid) for m in monitors]
    took = f"{time.monotonic() - started:.1f} s" if adopted is not None else "NOT within 900 s"
    print(f"  cold adoption of {Instance.objects.count()} instances: {took} (target <= 90 s); monitor CPU "
          f"{sum(cpu):.1f} s ({', '.join(f'{c:.1f}' for c in cpu)})")  # fmt: skip
    read = wait_until(lambda: not Instance.objects.filter(details={}).exists(), timeout=900, step=1)
    cpu = sum(cpu_seconds(m.pid) for m in monitors)
    print("  every definition read after " + (f"{time.monotonic() - started:.1f} s" if read is not None
          else "NOT within 900 s more") + f"; monitor CPU {cpu:.1f} s")  # fmt: skip
    before = [cpu_seconds(m.pid) for m in monitors]
    time.sleep(30)  # steady state: nothing changes on the hosts
    steady = [cpu_seconds(m.pid) - b for m, b in zip(monitors, before, strict=True)]
    shares = sorted(list(holder_pids().values()).count(m.pid) for m in monitors)
    print(f"  steady state: monitor CPU {sum(steady) / 30 * 100:.0f} % of one core over 30 s "
          f"({', '.join(f'{s:.1f}' for s in steady)} s); hosts per monitor {shares}")  # fmt: skip
    return monitors


def failover(monitors: list[subprocess.Popen]) -> None:
    victim = monitors[0]
    held = {pk for pk, pid in holder_pids().items() if pid == victim.pid}
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    others = {m.pid for m in monitors[1:]}
    moved = wait_until(lambda: all(holder_pids().get(pk) in others for pk in held), timeout=120, step=0.2)
    rows = HostLease.objects.count() == Host.objects.count()
    print(f"  failover after kill -9 of a monitor holding {len(held)} hosts: "
          + (f"all watched again after {moved:.1f} s" if moved is not None else "NOT within 120 s")
          + f" (target <= 15 s); one lease row per host: {rows}")  # fmt: skip


def workers_phase(counts: list[int], admin: User, ops: int) -> None:
    running = list(Instance.objects.order_by("pk").values_list("pk", flat=True))
    offset = 0
    connection_ = django_rq.get_connection("default")
    for count in counts:
        if count == counts[0]:
            suspend(connection_)  # the workers start suspended: the first operation stays active
        workers = [start("rqworker", "default", "bulk", "--worker-class", "jobs.worker.Worker", log=f"worker-{n}.log")
                   for n in range(count)]  # fmt: skip
        wait_until(lambda: len(Worker.all(connection=connection_)) >= count, timeout=60)  # noqa: B023
        if count == counts[0]:
            states = lambda: {w.get_state() for w in Worker.all(connection=connection_)}  # noqa: E731
            wait_until(lambda: states() == {"suspended"}, timeout=60)  # noqa: B023
            concurrent_requests(admin, connection_)  # (a request needs a worker alive)
        targets = Instance.objects.filter(pk__in=running[offset : offset + ops])
        offset += ops
        before = [cpu_seconds(w.pid) for w in workers]
        started = time.monotonic()
        queued = [request_operation(instance=i, kind="instance.autostart", user=admin, params={"enabled": True}).pk
                  for i in targets]  # fmt: skip
        done = wait_until(lambda: not Operation.objects.filter(pk__in=queued, finished__isnull=True).exists(),  # noqa: B023
                          timeout=600, step=0.1)  # fmt: skip
        took = time.monotonic() - started
        cpu = sum(cpu_seconds(w.pid) - b for w, b in zip(workers, before, strict=True))
        statuses = dict(Counter(Operation.objects.filter(pk__in=queued).values_list("status", flat=True)))
        print(f"  W={count}: {len(queued)} operations on distinct instances in {took:.1f} s = "
              f"{len(queued) / took:.1f} ops/s{'' if done is not None else ' (NOT all finished)'}; worker CPU "
              f"{cpu:.1f} s; {statuses}")  # fmt: skip
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(30)


def concurrent_requests(admin: User, connection_) -> None:
    """50 requests at once for one instance while the workers are suspended (alive, taking no
    job), so the first accepted operation stays active throughout: exactly one may be accepted.
    Then the workers resume and carry it out."""
    instance = Instance.objects.order_by("-pk").first()

    def ask(_n: int) -> str:
        try:
            request_operation(instance=instance, kind="instance.autostart", user=admin, params={"enabled": False})
            return "accepted"
        except Busy:
            return "busy"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(ask, range(50)))
    resume(connection_)
    accepted = Operation.objects.filter(target_type="instance", target_id=str(instance.pk))
    finished = wait_until(lambda: not accepted.filter(finished__isnull=True).exists(), timeout=60)
    print(f"  50 concurrent requests on one instance: {answers.count('accepted')} accepted (target 1), "
          f"{answers.count('busy')} told busy; {accepted.count()} operation(s) recorded, "
          f"{dict(Counter(accepted.values_list('status', flat=True)))}"
          + ("" if finished is not None else " (NOT finished within 60 s)"))  # fmt: skip


def list_page(admin: User, requests: int, meanwhile: str) -> None:
    client = Client()
    client.force_login(admin)
    url = reverse("instance-list")
    client.get(url)
    samples = []
    for _ in range(requests):
        began = time.perf_counter()
        assert client.get(url).status_code == 200
        samples.append((time.perf_counter() - began) * 1000)
    print(f"  instance list at {Instance.objects.count()} instances, {meanwhile}: {spread(samples)} "
          f"(target p95 <= 100 ms); p99 {pct(samples, 0.99):.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--per-host", type=int, default=100)
    parser.add_argument("--monitors", type=int, default=4)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--ops", type=int, default=200, help="operations per worker round")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--web", type=int, default=2, help="web processes for the live-updates phase")
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--rate", type=float, default=10, help="live events per second")
    args = parser.parse_args()
    on_postgres.create()
    redis = fresh_state()
    admin = User.objects.create_superuser("bench", "", "bench-password-123")
    build(args.hosts, args.per_host)
    monitors = []
    try:
        monitors = monitors_phase(args, args.hosts * args.per_host)
        list_page(admin, args.requests, "the monitors steady")
        failover(monitors)
        list_page(admin, args.requests, "the other monitors taking the killed one's hosts over")
        live_latency(web=args.web, sockets=args.sockets, rate=args.rate, seconds=30, cpu_seconds=cpu_seconds)
        workers_phase([int(n) for n in args.workers.split(",")], admin, args.ops)
    finally:
        for monitor in monitors:
            if monitor.poll() is None:
                monitor.send_signal(signal.SIGTERM)
                monitor.wait(30)
        connections.close_all()
        redis.flushdb()
        on_postgres.drop()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
