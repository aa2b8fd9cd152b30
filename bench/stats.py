"""Benchmark: chart history at fleet scale. 10,000 running instances (a disk and a NIC each) on 100
hosts: the sampler fed the readings the monitor makes (made-up counters that grow), timed in CPU
seconds per fleet sample against what the monitor already does with the same readings
(device_stats.store, the baseline); the history's size on disk; and the chart data request for
1 h / 24 h / 30 d against the instance page (the baseline). Prints figures; asserts nothing.

    .venv/bin/python bench/stats.py [--instances 10000] [--hosts 100] [--samples 6] [--requests 200]

Throw-away state: SQLite and the history in a temp folder (removed), Redis db 14 (BENCH_REDIS_URL), flushed."""

from support import WORK, request_times, spread  # first: sets Django up on throw-away state

# isort: split

import argparse
import random
import shutil
import time
import uuid
from types import SimpleNamespace

import django_rq
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from hosts.models import Host, HostStatus
from instances import device_stats
from instances.models import Instance, InstanceState
from stats.history import stats_dir
from stats.sampling import Sampler
from virt.domains import DomainRecord

DEVICES = {"disks": [{"target": "vda"}], "interfaces": [{"target": "vnet0", "mac": "52:54:00:00:00:01"}]}


def fleet(instances: int, hosts: int) -> dict[Host, list[Instance]]:
    rows = Host.objects.bulk_create(Host(name=f"host-{n:03d}", uri=f"test:///default?{n}", status=HostStatus.UP,
                                         cpus=32, memory_mib=131072) for n in range(hosts))  # fmt: skip
    made = Instance.objects.bulk_create(
        (Instance(host=rows[n % hosts], uuid=uuid.uuid4(), name=f"vm-{n:05d}", state=InstanceState.RUNNING, vcpus=2,
                  memory_mib=2048, details=DEVICES) for n in range(instances)), batch_size=1000)  # fmt: skip
    by_host: dict[Host, list[Instance]] = {host: [] for host in rows}
    hosts_by_pk = {host.pk: host for host in rows}
    for row in made:
        by_host[hosts_by_pk[row.host_id]].append(row)
    return by_host


def reading(host_guests: list[Instance], k: int) -> tuple:
    """The facts and domain records of one host at its k-th reading: every counter grown."""
    facts = SimpleNamespace(resources={"vcpus_total": 32, "memory_total_mib": 131072, "memory_used_mib": 65536,
                                       "cpu_time_ns": {"idle": k * 3 * 10**11, "user": k * 10**11}})  # fmt: skip
    records = [
        DomainRecord(uuid=str(row.uuid), name=row.name, state="running", autostart=False, persistent=True, vcpus=2,
                     devices={"cpu_time_ns": k * 10**10, "rss_kib": 1 << 20,
                              "disks": [{"target": "vda", "read_bytes": k << 20, "write_bytes": k << 18,
                                         "read_requests": k * 100, "write_requests": k * 10}],
                              "nics": [{"target": "vnet0", "rx_bytes": k << 16, "tx_bytes": k << 15,
                                        "rx_packets": k * 50, "tx_packets": k * 40}]})
        for row in host_guests
    ]  # fmt: skip
    return facts, records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--samples", type=int, default=6)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    by_host = fleet(args.instances, args.hosts)
    readings = {host: [reading(guests, k) for k in range(args.samples + 1)] for host, guests in by_host.items()}
    print(f"{args.instances} running instances (a disk and a NIC each) on {args.hosts} hosts")

    sampler, start = Sampler(), time.time() - 10 * (args.samples + 1)
    for host in by_host:  # the first reading only sets the counters
        sampler.sample(host, *readings[host][0], at=start)
    sampling, baseline = [], []
    for k in range(1, args.samples + 1):
        began = time.process_time()
        for host in by_host:
            sampler.sample(host, *readings[host][k], at=start + 10 * k)
        sampling.append(time.process_time() - began)
        began = time.process_time()
        for host in by_host:
            device_stats.store({record.uuid: record.devices for record in readings[host][k][1]})
        baseline.append(time.process_time() - began)
    mean = sum(sampling) / len(sampling)
    print(f"sampling the whole fleet: {mean:.2f} CPU s per sample ({mean / args.instances * 1e6:.0f} µs per instance);"
          f" device_stats.store of the same readings (baseline): {sum(baseline) / len(baseline):.2f} CPU s;"
          f" ratio {mean / (sum(baseline) / len(baseline)):.1f}x")  # fmt: skip

    files = list(stats_dir().rglob("*.rrd"))
    apparent = sum(path.stat().st_size for path in files)
    on_disk = sum(path.stat().st_blocks * 512 for path in files)
    per_instance, written = apparent / args.instances / 1024, on_disk / args.instances / 1024
    print(f"history: {len(files)} files, {apparent / 2**30:.2f} GiB apparent ({per_instance:.0f} KiB per instance,"
          f" fixed), {on_disk / 2**20:.0f} MiB on disk now (sparse until written: {written:.1f} KiB"
          " per instance)")  # fmt: skip

    web = Client()
    web.force_login(User.objects.create_superuser("admin", "", "bench-password"))
    chosen = random.choices([row.pk for guests in by_host.values() for row in guests], k=args.requests)
    for chart_range in ("1h", "24h", "30d"):
        urls = [f"/charts/instances/{pk}/?range={chart_range}" for pk in chosen]
        print(f"chart data {chart_range}: {spread(request_times(web, urls))}")
    print(f"instance page (baseline): {spread(request_times(web, [f'/instances/{pk}/' for pk in chosen]))}")
    django_rq.get_connection("default").flushdb()
    shutil.rmtree(WORK)


if __name__ == "__main__":
    main()
