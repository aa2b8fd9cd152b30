"""Benchmark: the API and /metrics at scale. 10,000 instances on 100 test:/// hosts (rows, as the
monitor would keep them, with their counters in Redis): the API's instance list page against the
HTML instance list page (the baseline) — p50/p95 per page and queries per page, on the first and a
far page — and a /metrics scrape of the whole fleet (time, size, series). Prints figures; asserts
nothing.

    .venv/bin/python bench/api.py [--instances 10000] [--hosts 100] [--requests 200]

Throw-away state: SQLite in a temp folder and Redis db 14 (BENCH_REDIS_URL), flushed at the end."""

from support import pct, request_times, spread  # first: sets Django up on throw-away state

# isort: split

import argparse
import random
import statistics
import time
import uuid

import django_rq
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from api.models import ApiToken
from hosts.models import Host, HostStatus
from instances import device_stats
from instances.models import Instance, InstanceState

STATES = [InstanceState.RUNNING] * 6 + [InstanceState.SHUTOFF] * 3 + [InstanceState.PAUSED]


def fleet(instances: int, hosts: int) -> None:
    rows = Host.objects.bulk_create(Host(name=f"host-{n:03d}", uri=f"test:///default?{n}", status=HostStatus.UP,
                                         cpus=32, memory_mib=131072) for n in range(hosts))  # fmt: skip
    made = Instance.objects.bulk_create(
        (Instance(host=rows[n % hosts], uuid=uuid.uuid4(), name=f"vm-{n:05d}", state=random.choice(STATES), vcpus=2,
                  memory_mib=2048) for n in range(instances)), batch_size=1000)  # fmt: skip
    disk = {
        "target": "vda",
        "read_bytes": 1 << 30,
        "write_bytes": 1 << 28,
        "read_requests": 9000,
        "write_requests": 700,
    }
    nic = {"target": "vnet0", "rx_bytes": 1 << 26, "tx_bytes": 1 << 25, "rx_packets": 5000, "tx_packets": 4000}
    figures = {"cpu_time_ns": 10**12, "memory_kib": 2 << 20, "rss_kib": 1 << 20, "disks": [disk], "nics": [nic]}
    device_stats.store({str(row.uuid): figures for row in made})


def queries(client: Client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get(url, **headers)
    return len(captured.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    admin = User.objects.create_superuser("admin", "", "bench-password")
    _token, secret = ApiToken.issue(user=admin, name="bench")
    started = time.perf_counter()
    fleet(args.instances, args.hosts)
    print(f"{args.instances} instances on {args.hosts} hosts made in {time.perf_counter() - started:.1f} s")

    api, auth, web = Client(), {"HTTP_AUTHORIZATION": f"Bearer {secret}"}, Client()
    web.force_login(admin)
    pages = max(1, args.instances // settings.API_PAGE_SIZE)
    chosen = [random.randint(1, pages) for _ in range(args.requests)]
    sort = "&sort=-memory"
    api_ms = request_times(api, [f"/api/v1/instances/?page={page}{sort}" for page in chosen], **auth)
    web_ms = request_times(web, [f"/instances/?page={page}{sort}" for page in chosen])
    ratio = statistics.median(api_ms) / statistics.median(web_ms)
    print(f"instance list, {args.requests} random pages of {settings.API_PAGE_SIZE}, sorted by memory:")
    for label, client, path, samples, headers in (
        ("API  /api/v1/instances/", api, "/api/v1/instances/", api_ms, auth),
        ("HTML /instances/ (baseline)", web, "/instances/", web_ms, {}),
    ):
        first, last = (queries(client, f"{path}?page={page}", **headers) for page in (1, pages))
        print(f"  {label}: {spread(samples)}; queries on page 1 / page {pages}: {first} / {last}")
    print(f"  API / HTML p50: {ratio:.2f}x")

    settings.METRICS_ENABLED, settings.METRICS_ALLOWED_ADDRESSES = True, ["127.0.0.1/32"]
    scrape = Client()
    samples = request_times(scrape, ["/metrics"] * 5)
    body = scrape.get("/metrics").content
    series = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    took = f"p50 {statistics.median(samples):.0f} ms, max {pct(samples, 1):.0f} ms"
    print(f"/metrics of {args.instances} instances: {took}; {len(body) / 1e6:.1f} MB, {series} series, "
          f"{queries(scrape, '/metrics')} queries")  # fmt: skip
    django_rq.get_connection("default").flushdb()


if __name__ == "__main__":
    main()
