"""Benchmark: the inventory at scale. Reconcile (sync_host, then the real monitor), the instance
list page with its filters, and click-to-libvirt latency through a real rq worker. Prints
figures; asserts nothing.

    .venv/bin/python bench/inventory.py [--requests 200] [--scales 500x1,1000x100,10000x100]

NxM is N instances spread over M hosts, each a libvirt test-driver node file. Uses a throw-away
database in a temp folder and Redis db 14 (BENCH_REDIS_URL), flushed at the end."""

from support import WORK, fresh_state, pct, spread, wait_until  # first: sets Django up on throw-away state

# isort: split

import argparse
import logging
import logging.handlers
import re
import shutil
import statistics
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import django_rq
import libvirt
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from lxml import etree

from hosts.models import Host
from hosts.monitor import Monitor
from instances.inventory import sync_host
from instances.models import Instance
from instances.services import request_operation
from jobs.models import Operation
from jobs.registry import QUEUES
from tests.support.worker import WorkerThread
from virt.domains import read_domains

NAME = re.compile(r"vm-\d{3}-\d{5}")
TARGETS = "targets: list p95 <= 30 ms at 500x1, <= 100 ms at 10000x100; <= 12 queries per list page; "
TARGETS += "reconcile of 10,000 <= 10 s; click->libvirt p50 <= 25 ms"


def write_node(path: Path, host: int, count: int) -> None:
    """A test-driver node file: one host with `count` domains (all running when opened)."""
    node = etree.Element("node")
    cpu = etree.SubElement(node, "cpu")
    for tag, value in [("mhz", "2000"), ("model", "x86_64"), ("active", "16"), ("nodes", "1"),
                       ("sockets", "1"), ("cores", "16"), ("threads", "1")]:  # fmt: skip
        etree.SubElement(cpu, tag).text = value
    etree.SubElement(node, "memory").text = str(64 * 1024 * 1024)
    for index in range(count):
        domain = etree.SubElement(node, "domain", type="test")
        etree.SubElement(domain, "name").text = f"vm-{host:03d}-{index:05d}"
        etree.SubElement(domain, "uuid").text = str(uuid.uuid4())
        etree.SubElement(domain, "memory").text = "65536"
        etree.SubElement(domain, "vcpu").text = "1"
        etree.SubElement(etree.SubElement(domain, "os"), "type").text = "hvm"
    etree.ElementTree(node).write(str(path), xml_declaration=True, encoding="utf-8")


def build_hosts(count: int, hosts: int) -> list[tuple[Host, libvirt.virConnect]]:
    """M node files, one Host each, a mix of states: every 5th shut off, every 7th paused."""
    built = []
    for h in range(hosts):
        path = WORK / f"node-{count}-{h:03d}.xml"
        write_node(path, h, count // hosts + (h < count % hosts))
        host = Host.objects.create(name=f"h-{count}-{h:03d}", uri="test://" + str(path))
        conn = libvirt.open(host.uri)  # the test driver's state lives in this connection
        for domain in conn.listAllDomains():
            index = int(domain.name()[-5:])
            if index % 5 == 0:
                domain.destroy()
            elif index % 7 == 0:
                domain.suspend()
        built.append((host, conn))
    return built


def change_some(built, share: float = 0.01) -> int:
    """Change the state of about `share` of all domains: run->pause, pause->run, off->run."""
    domains = [d for _host, conn in built for d in conn.listAllDomains()]
    step = max(1, round(1 / share))
    for domain in domains[::step]:
        state = domain.state()[0]
        if state == libvirt.VIR_DOMAIN_RUNNING:
            domain.suspend()
        elif state == libvirt.VIR_DOMAIN_PAUSED:
            domain.resume()
        else:
            domain.create()
    return len(domains[::step])


def time_sync(label: str, built) -> None:
    per_host, reading = [], 0.0
    with CaptureQueriesContext(connection) as queries:
        for host, conn in built:
            started = time.perf_counter()
            records = read_domains(conn)
            reading += time.perf_counter() - started
            sync_host(host, records)
            per_host.append((time.perf_counter() - started) * 1000)
    print(f"  sync {label}: {sum(per_host) / 1000:.2f} s total (read_domains {reading:.2f} s), per host "
          f"p50 {statistics.median(per_host):.1f} ms / max {max(per_host):.1f} ms, {len(queries)} queries")  # fmt: skip


def run_monitor(pks: list[int], count: int) -> tuple[str, float | None, float | None]:
    """(error of a host shown down, s until all up with N rows, s until every definition read)."""
    Instance.objects.all().delete()
    Host.objects.filter(pk__in=pks).update(status="unknown", last_error="")
    monitor, stop = Monitor(refresh_interval=3600), threading.Event()
    thread = threading.Thread(target=monitor.run, args=(stop,), daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        hosts = Host.objects.filter(pk__in=pks)
        adopted = wait_until(lambda: hosts.filter(status="down").exists()
                             or not hosts.exclude(status="up").exists() and Instance.objects.count() == count,
                             timeout=120)  # fmt: skip
        down = hosts.filter(status="down").first()
        if down is not None or adopted is None:
            return (down.last_error if down else "not all up / adopted within 120 s"), None, None
        read = wait_until(lambda: not Instance.objects.filter(details={}).exists(), timeout=300)
        return "", adopted, None if read is None else time.monotonic() - started
    finally:
        stop.set()
        thread.join(30)


def time_monitor(built, count: int) -> tuple[float | None, float | None]:
    """Cold adoption through the real monitor, from an empty table."""
    pks = [host.pk for host, _conn in built]
    error, adopted, details = run_monitor(pks, count)
    print("  monitor, cold: " + (f"FAILED: {error}" if error else
          f"all up and {count} instances adopted after {show(adopted, 's')}; every definition read after "
          f"{show(details, 's') if details else 'NOT within 300 s more'}"))  # fmt: skip
    for host, conn in built:  # back to this benchmark's mix of states
        sync_host(host, read_domains(conn))
    return adopted, details


def list_checks(count: int, built) -> dict:
    """Query strings to measure, and how to tell the page honoured each one."""
    rows = {row["name"]: row for row in Instance.objects.values("name", "state", "host_id")}
    middle = built[len(built) // 2][0]
    q = Instance.objects.filter(host=middle).order_by("name").values_list("name", flat=True)[1][:-1]
    return {
        "default": ("", lambda names, first: True),
        "sort=-name": ("?sort=-name", lambda names, first: len(names) > 1 and names == sorted(names, reverse=True)),
        "state=running": ("?state=running", lambda names, first: all(rows[n]["state"] == "running" for n in names)),
        f"q={q}": (f"?q={q}", lambda names, first: all(q in n for n in names)),
        "host=<id>": (f"?host={middle.pk}", lambda names, first: all(rows[n]["host_id"] == middle.pk for n in names)),
        "page=20": ("?page=20", lambda names, first: names and names != first),
    }


def measure_list(client: Client, count: int, built, requests: int) -> dict:
    """p95 (ms) and queries of each list page variant."""
    base, figures, first = reverse("instance-list"), {}, []
    for label, (query, honoured) in list_checks(count, built).items():
        response = client.get(base + query)
        names = list(dict.fromkeys(NAME.findall(response.content.decode())))
        if label == "default":
            first = names
        if response.status_code != 200:
            print(f"  list {label:<22} skipped: HTTP {response.status_code}")
            continue
        if label == "page=20" and count <= 19 * len(first):
            print(f"  list {label:<22} skipped: {count} instances make no page 20")
            continue
        if not honoured(names, first):
            print(f"  list {label:<22} skipped: the page ignores it (shows {names[:3]}...)")
            continue
        with CaptureQueriesContext(connection) as captured:
            client.get(base + query)
        queries = len(captured)  # now: the capture reads the live log, which the next request resets
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(base + query)
            samples.append((time.perf_counter() - started) * 1000)
        figures[label] = (pct(samples, 0.95), queries)
        print(f"  list {label:<22} {spread(samples)}, {queries} queries, {len(names)} rows shown")
    return figures


def measure_clicks(client: Client, admin: User, built, clicks: int = 50) -> float | None:
    """Autostart on/off `clicks` times; time request -> operation started / finished."""
    instance = Instance.objects.filter(host=built[0][0]).order_by("name").first()
    try:
        urls = [reverse("instance-action", args=[instance.pk, name]) for name in ("autostart-on", "autostart-off")]
        via = "POST instance-action"
    except NoReverseMatch:
        urls, via = [], "request_operation() directly: no instance-action route yet"
    errors = logging.handlers.BufferingHandler(10_000)  # crashed jobs' tracebacks, kept off the output
    logging.getLogger("jobs.runner").addHandler(errors)
    logging.getLogger("jobs.runner").propagate = False
    worker = WorkerThread(*(django_rq.get_queue(name) for name in QUEUES)).start()
    answers, starts, ends, statuses = [], [], [], Counter()
    try:
        for click in range(clicks):
            last = Operation.objects.aggregate(last=Max("id"))["last"] or 0
            asked, code = timezone.now(), "-"
            if urls:
                code = client.post(urls[click % 2]).status_code
            else:
                request_operation(instance=instance, kind="instance.autostart", user=admin,
                                  params={"enabled": click % 2 == 0})  # fmt: skip
            answers.append((timezone.now() - asked).total_seconds() * 1000)
            ops = Operation.objects.filter(id__gt=last, target_id=str(instance.pk), finished__isnull=False)
            if wait_until(ops.exists, timeout=30, step=0.005) is None:
                statuses[f"no finished operation after 30 s (HTTP {code})"] += 1
                break
            op = ops.get()
            statuses[op.status] += 1
            starts.append((op.started - asked).total_seconds() * 1000)
            ends.append((op.finished - asked).total_seconds() * 1000)
    finally:
        worker.stop()
    print(f"  click -> libvirt via {via}, {clicks} clicks on {instance.name}: {dict(statuses)}")
    if errors.buffer and errors.buffer[0].exc_info:
        print(f"  first job error: {errors.buffer[0].getMessage()}: {errors.buffer[0].exc_info[1]!r}")
    if starts:
        print(f"  request -> response: {spread(answers)}\n  request -> started:  {spread(starts)}\n"
              f"  request -> finished: {spread(ends)}")  # fmt: skip
    return statistics.median(starts) if starts else None


def show(value: float | None, unit: str) -> str:
    return "n/a" if value is None else f"{value:.1f} {unit}" if unit == "ms" else f"{value:.2f} {unit}"


def summary(results: dict, click_p50: float | None) -> None:
    print("\n== summary ==\n" + TARGETS)
    for (count, hosts), (pages, (adopted, details)) in results.items():
        target = {(500, 1): "30 ms", (10000, 100): "100 ms"}.get((count, hosts), "-")
        worst = max(pages, key=lambda label: pages[label][0], default=None)
        queries = max((q for _p95, q in pages.values()), default=None)
        print(f"{count}x{hosts}: list p95 default {show(pages.get('default', (None,))[0], 'ms')}, worst "
              f"{worst} {show(pages[worst][0] if worst else None, 'ms')} (target {target}); max {queries} "
              f"queries/page (<= 12); monitor cold reconcile {show(adopted, 's')}"
              f"{' (target <= 10 s)' if count == 10000 else ''}, definitions read {show(details, 's')}")  # fmt: skip
    print(f"click -> libvirt: request -> started p50 {show(click_p50, 'ms')} (target <= 25 ms)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--scales", default="500x1,1000x100,10000x100", help="NxM: N instances on M hosts")
    args = parser.parse_args()
    scales = [tuple(int(part) for part in scale.split("x")) for scale in args.scales.split(",")]

    redis = fresh_state()
    admin = User.objects.create_superuser("bench", "", "bench-password-123")
    client = Client()
    client.force_login(admin)
    results, click_p50 = {}, None
    try:
        for count, hosts in scales:
            print(f"\n== {count} instances on {hosts} host(s) ==")
            built = build_hosts(count, hosts)
            time_sync("cold (all adopted)", built)
            time_sync("warm (nothing changed)", built)
            changed = change_some(built)
            time_sync(f"after {changed} state changes", built)
            reconcile = time_monitor(built, count)
            list_figures = measure_list(client, count, built, args.requests)
            results[(count, hosts)] = (list_figures, reconcile)
            if click_p50 is None and (count, hosts) == min(scales):
                click_p50 = measure_clicks(client, admin, built)
            for _host, conn in built:
                conn.close()
            Instance.objects.all().delete()
            Host.objects.all().delete()
        summary(results, click_p50)
    finally:
        redis.flushdb()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
