"""Benchmark: the everyday pages through the web server `make run` starts (the Procfile's web
line), side by side with the raw floor: an empty Django view through the same server, asked
without a session (bench/floor_settings.py). At 10 instances and at 100,000 (with as many operations and
audit entries). Alternating requests, medians after warm-ups; queries per page from the test
client. Prints figures; asserts nothing.

    .venv/bin/python bench/pages.py [--requests 15] [--warmups 15] [--scales 10,100000]

Throw-away state: SQLite in a temp folder, Redis db 14 (BENCH_REDIS_URL), flushed at the end."""

from support import (  # first: sets Django up on throw-away state
    ROOT,
    WORK,
    fresh_state,
    group_cpu_seconds,
    pct,
    procfile_process,
    stop_process,
    wait_until,
)

# isort: split

import argparse
import os
import shutil
import statistics
import subprocess
import time
import uuid

import requests
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from hosts.models import Host, HostStatus
from instances.models import Instance, InstanceState
from jobs.models import Operation, OperationStatus

PORT = 18400
TARGETS = "targets: every page's median <= 5 ms at 10 instances and <= 8 ms at 100,000, constant queries"


def bench_process(name: str) -> subprocess.Popen:
    """The Procfile's `name` line on the bench's state, with the floor view."""
    return procfile_process(name, {"WEB_PORT": str(PORT), "DJANGO_SETTINGS_MODULE": "floor_settings",
                                   "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT / "bench"),
                                   "ALLOWED_HOSTS": "127.0.0.1,testserver"})  # fmt: skip


def serving() -> None:
    """Once the web server answers (SystemExit with its log after a minute)."""
    if wait_until(lambda: _answers(f"http://127.0.0.1:{PORT}/bench/empty/"), timeout=60, step=0.2) is None:
        raise SystemExit("the web server did not answer within 60 s:\n" + (WORK / "web.log").read_text()[-3000:])


def logged_in(user: User) -> str:
    """A session cookie value of `user`."""
    login = Client()
    login.force_login(user)
    return login.cookies[settings.SESSION_COOKIE_NAME].value


def fill(count: int, admin: User) -> dict[str, str]:
    """`count` instances on hosts of 100 (each host up), as many operations (on the first host's
    instances) and audit entries; returns the pages to measure."""
    hosts = Host.objects.bulk_create(
        Host(name=f"h-{count}-{h:04d}", uri=f"test:///bench-{count}-{h}", status=HostStatus.UP)
        for h in range(max(1, count // 100))
    )
    states = [InstanceState.RUNNING, InstanceState.RUNNING, InstanceState.SHUTOFF, InstanceState.PAUSED]
    Instance.objects.bulk_create(
        (Instance(host=hosts[n % len(hosts)], uuid=uuid.uuid4(), name=f"vm-{count}-{n:06d}", state=states[n % 4],
                  vcpus=1 + n % 4, memory_mib=512 * (1 + n % 8)) for n in range(count)),
        batch_size=2000,
    )  # fmt: skip
    instance = Instance.objects.filter(host=hosts[0]).order_by("name").first()
    pks = list(Instance.objects.filter(host=hosts[0]).values_list("pk", flat=True))  # the operations' targets
    Operation.objects.bulk_create(
        (Operation(kind="instance.start", target_type="instance", target_id=str(pks[n % len(pks)]), target_name="vm",
                   host=hosts[0], user=admin, status=OperationStatus.SUCCEEDED, progress=100) for n in range(count)),
        batch_size=2000,
    )  # fmt: skip
    AuditEntry.objects.bulk_create(
        (AuditEntry(user=admin, username=admin.username, action="operation", object_type="instance",
                    object_id=str(instance.pk), object_name=instance.name) for _ in range(count)),
        batch_size=2000,
    )  # fmt: skip
    return {"instance list": "/instances/", "instance page": f"/instances/{instance.pk}/",
            "host overview": f"/hosts/{hosts[0].pk}/", "operations": "/operations/", "audit": "/audit/"}  # fmt: skip


def queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200, path
    return len(captured)


def timed(session: requests.Session, url: str) -> float:
    started = time.perf_counter()
    answer = session.get(url, timeout=30)
    took = (time.perf_counter() - started) * 1000
    assert answer.status_code == 200, (url, answer.status_code)
    return took


def measure(pages: dict[str, str], cookie: str, *, requests_: int, warmups: int, server: int) -> None:
    """Each page alternating with the floor: medians of `requests_` after `warmups` pairs; then the
    server's CPU per request (process group `server`) over as many requests of the page alone (a
    steadier figure than times on a shared machine)."""
    base = f"http://127.0.0.1:{PORT}"
    floor, page = requests.Session(), requests.Session()
    page.cookies.set(settings.SESSION_COOKIE_NAME, cookie)
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    for name, path in pages.items():
        floors, times = [], []
        for turn in range(warmups + requests_):
            pair = (timed(floor, base + "/bench/empty/"), timed(page, base + path))
            if turn >= warmups:
                floors.append(pair[0])
                times.append(pair[1])
        median, raw = statistics.median(times), statistics.median(floors)
        print(f"  {name:14} p50 {median:6.2f} ms (p95 {pct(times, 0.95):6.2f}); empty view p50 {raw:5.2f} ms: "
              f"{median / raw:4.1f}× the floor, +{median - raw:5.2f} ms; {queries(client, path)} queries; "
              f"server CPU {server_cpu(page, base + path, server, requests_):5.2f} ms/request")  # fmt: skip


def server_cpu(session: requests.Session, url: str, server: int, count: int) -> float:
    before = group_cpu_seconds(server)
    for _ in range(count):
        timed(session, url)
    return (group_cpu_seconds(server) - before) * 1000 / count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--warmups", type=int, default=15)
    parser.add_argument("--scales", default="10,100000", help="instances, comma-separated")
    args = parser.parse_args()
    redis = fresh_state()
    admin = User.objects.create_superuser("bench", "", "bench-password-123")
    cookie = logged_in(admin)
    server = bench_process("web")
    try:
        serving()
        print(f"web server: the Procfile's web line ({os.cpu_count()} cores), SQLite; {TARGETS}")
        for count in [int(scale) for scale in args.scales.split(",")]:
            Instance.objects.all().delete()
            Operation.objects.all().delete()
            AuditEntry.objects.all().delete()
            Host.objects.all().delete()
            print(f"\n== {count} instances ==")
            measure(fill(count, admin), cookie, requests_=args.requests, warmups=args.warmups, server=server.pid)
    finally:
        stop_process(server)
        redis.flushdb()
        shutil.rmtree(WORK, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


if __name__ == "__main__":
    main()
