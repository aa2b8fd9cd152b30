"""Benchmark: the console under load, as real processes (the Procfile's web and worker lines, a private Redis).
50 logged-in users browse the instance list, an instance's page and the Operations page; 10 of
them also queue operations on their own test:/// instance and wait for each to finish. Three runs:
pages back to back (a closed loop: latency is users / throughput), users pausing between pages as a
person does, and Redis restarted once mid-run. Prints errors (target 0: any answer but 200, or
none), pages per second, p50/p95 per page, operations per second and the CPU of each part (web
processes, workers, this client); asserts nothing.

    .venv/bin/python bench/load.py [--seconds 60] [--users 50] [--writers 10] [--workers 2] [--think 1]

Throw-away state: SQLite in a temp folder, a private redis-server (append-only file, so a restart
keeps the queue) on a free port."""

from support import (  # first: sets Django up on throw-away state
    WORK,
    group_cpu_seconds,
    procfile_process,
    spread,
    stop_process,
)

# isort: split

import argparse
import os
import random
import re
import threading
import time
from collections import Counter, defaultdict

import libvirt
import requests
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from inventory import write_node

from hosts.models import Host, HostStatus
from instances.models import Instance
from jobs.models import Operation, OperationStatus
from tests.support.live_server import free_port
from tests.support.processes import RedisServer
from virt.domains import read_domains

TARGETS = "targets: 0 errors; p95 <= 100 ms on every page with 50 users on 2 cores"
PAGES = {"list": "/instances/", "detail": "/instances/{pk}/", "operations": "/operations/"}


def web_processes() -> str:
    workers = os.environ.get("WEB_WORKERS")
    return f"{workers} processes (WEB_WORKERS)" if workers else "a process per core"


def prepare(users: int) -> tuple[list[int], list[requests.Session]]:
    """A test:/// host (a node file: every process opening it sees the same domains) with one
    instance per user; the users logged in (sessions in the database)."""
    call_command("migrate", verbosity=0)
    path = WORK / "load-node.xml"
    write_node(path, 0, users)
    host = Host.objects.create(name="load", uri=f"test://{path}", status=HostStatus.UP)
    conn = libvirt.open(host.uri)
    ids = []
    for record in read_domains(conn):
        ids.append(Instance.objects.create(host=host, uuid=record.uuid, name=record.name, state=record.state).pk)
    admin = User.objects.create_superuser("load", "load@example.com", "load-password-123")
    sessions = []
    for _ in range(users):
        client = Client()
        client.force_login(admin)
        session = requests.Session()
        session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
        sessions.append(session)
    return ids, sessions


def browse(base: str, session: requests.Session, ids: list[int], until: float, record, errors, think: float) -> None:
    """Page after page; `think` seconds (on average, at random) between two pages."""
    while time.monotonic() < until:
        for name, path in PAGES.items():
            if think:
                time.sleep(random.uniform(0, 2 * think))
            started = time.perf_counter()
            try:
                status = session.get(base + path.format(pk=random.choice(ids)), timeout=30).status_code
            except requests.RequestException as error:
                errors.append(f"{name}: {error}")
                continue
            record[name].append((time.perf_counter() - started) * 1000)
            if status != 200:
                errors.append(f"{name}: {status}")


def write(base: str, session: requests.Session, pk: int, until: float, done: list, errors) -> None:
    """Queue autostart on/off on its own instance, waiting for each operation to end."""
    turn = 0
    while time.monotonic() < until:
        page = session.get(f"{base}/instances/{pk}/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        name = "autostart-on" if turn % 2 == 0 else "autostart-off"
        try:
            answer = session.post(f"{base}/instances/{pk}/action/{name}/", timeout=30, headers={"Referer": page.url},
                                  data={"csrfmiddlewaretoken": token.group(1) if token else ""})  # fmt: skip
        except requests.RequestException as error:
            errors.append(f"action: {error}")
            continue
        if answer.status_code != 200:
            errors.append(f"action: {answer.status_code}")
        found = re.search(r"/operations/(\d+)/", answer.url)
        if found:
            op = int(found.group(1))
            while time.monotonic() < until + 30:
                status, why = Operation.objects.filter(pk=op).values_list("status", "error").first() or (None, "")
                if status not in (OperationStatus.QUEUED, OperationStatus.RUNNING):
                    done.append((status, why))
                    break
                time.sleep(0.05)
        turn += 1


def own_session(browsing: requests.Session) -> requests.Session:
    """The same user in a client of its own: two threads sharing one cookie jar could both be
    sent a first CSRF cookie and post the token of the other's (a 403 that is the bench's)."""
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, browsing.cookies[settings.SESSION_COOKIE_NAME])
    return session


def run(
    label: str,
    base: str,
    sessions,
    ids,
    *,
    seconds: float,
    writers: int,
    groups: dict[str, list[int]],
    redis_server=None,
    think: float = 0,
) -> None:
    """One run; prints errors, page times, operations per second and the CPU each part used."""
    record, errors, done = defaultdict(list), [], []
    cpu_before = {name: sum(map(group_cpu_seconds, pgids)) for name, pgids in groups.items()}
    client_before = sum(os.times()[:2])
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=browse, args=(base, s, ids, until, record, errors, think)) for s in sessions]
    threads += [threading.Thread(target=write, args=(base, own_session(sessions[i]), ids[i], until, done, errors))
                for i in range(writers)]  # fmt: skip
    for thread in threads:
        thread.start()
    if redis_server is not None:
        time.sleep(seconds / 2)
        redis_server.stop()
        time.sleep(2)
        redis_server.start()
    for thread in threads:
        thread.join()
    cpu = {name: sum(map(group_cpu_seconds, pgids)) - cpu_before[name] for name, pgids in groups.items()}
    cpu["load client"] = sum(os.times()[:2]) - client_before
    print(f"{label}: {len(errors)} errors" + (f" (first: {errors[:3]})" if errors else ""))
    pages = sum(len(times) for times in record.values())
    print(f"  pages: {pages / seconds:.1f} per second")
    for name in PAGES:
        print(f"  {name:10} {len(record[name]):6} requests, {spread(record[name])}")
    ok = [status for status, _ in done].count(OperationStatus.SUCCEEDED)
    print(f"  operations: {len(done)} ended ({ok} succeeded), {len(done) / seconds:.2f} per second")
    for why, count in Counter(why[:160] for status, why in done if status != OperationStatus.SUCCEEDED).items():
        print(f"    {count} ended with: {why or '(no error)'}")
    print("  CPU (% of a core): " + ", ".join(f"{name} {100 * used / seconds:.0f}" for name, used in cpu.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--writers", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between pages in the paced run")
    args = parser.parse_args()
    redis_server = RedisServer(WORK).start()
    env = os.environ | {"REDIS_URL": redis_server.url, "STATE_DIR": str(WORK), "LOG_LEVEL": "WARNING",
                        "ALLOWED_HOSTS": "127.0.0.1,localhost"}  # fmt: skip
    ids, sessions = prepare(args.users)
    port = free_port()
    processes = [procfile_process("web", env | {"WEB_PORT": str(port)})]  # as `make run` serves
    processes += [procfile_process("worker", env) for _ in range(args.workers)]
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/login/", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        time.sleep(3)  # the workers register
        print(f"load: {args.users} users ({args.writers} queuing operations), {args.workers} workers, "
              f"{args.seconds:g} s per run, the Procfile's web line ({web_processes()}), "
              f"{os.cpu_count()} cores")  # fmt: skip
        groups = {"web": [processes[0].pid], "workers": [p.pid for p in processes[1:]]}
        run("steady, no pause between pages", base, sessions, ids, seconds=args.seconds, writers=args.writers,
            groups=groups)  # fmt: skip
        run(f"users pausing {args.think:g} s (on average) between pages", base, sessions, ids, seconds=args.seconds,
            writers=args.writers, groups=groups, think=args.think)  # fmt: skip
        run("Redis restarted mid-run", base, sessions, ids, seconds=args.seconds, writers=args.writers,
            groups=groups, redis_server=redis_server)  # fmt: skip
        print(TARGETS)
    finally:
        for process in processes:
            stop_process(process)
        redis_server.stop()


if __name__ == "__main__":
    main()
