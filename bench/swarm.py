"""Event → browser latency for many open pages (a phase of bench/scaleout.py): W web processes
(uvicorn, as `make run` serves), an asyncio swarm of logged-in websocket clients spread over them,
users who each may see one host (and a few who see the fleet), and events sent at a steady rate
through live.broadcast (the call the monitors' outboxes make). Each client counts what it was
sent against what its user may see: latency, events lost, events shown to a user who may not."""

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from support import ROOT, WORK, pct, wait_until
from websockets.asyncio.client import connect

from accounts.models import Grant, Role
from hosts.models import Host
from instances.models import Instance
from live.broadcast import broadcast, current_seq


@dataclass
class Page:
    """One open page: who it belongs to, what it may see, what it received."""

    user: str
    hosts: set[int] | None  # None: the whole fleet
    received: dict[int, float] = field(default_factory=dict)  # bench event number -> latency (ms)
    ready: bool = False

    def may_see(self, host_id: int) -> bool:
        return self.hosts is None or host_id in self.hosts


def web_processes(count: int, first_port: int) -> list[subprocess.Popen]:
    env = os.environ | {"ALLOWED_HOSTS": "127.0.0.1,testserver"}
    with open(WORK / "web.log", "ab") as out:
        return [subprocess.Popen([sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port),
                                  "--no-access-log", "--lifespan", "off", "--log-level", "warning",
                                  "--timeout-graceful-shutdown", "3"],
                                 cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
                for port in range(first_port, first_port + count)]  # fmt: skip


def _cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _people(hosts: list[Host], users: int, fleet_users: int) -> list[tuple[User, set[int] | None]]:
    """`users` viewers of one host each (in turn over `hosts`), and `fleet_users` superusers."""
    people = []
    for n in range(users):
        user = User.objects.create_user(f"swarm-{n:03d}", password="swarm-password-123")
        host = hosts[n % len(hosts)]
        Grant.objects.create(user=user, host=host, role=Role.VIEWER)
        people.append((user, {host.pk}))
    for n in range(fleet_users):
        people.append((User.objects.create_superuser(f"swarm-fleet-{n}", "", "swarm-password-123"), None))
    return people


async def _open(page: Page, url: str, cookie: str, origin: str, opened: asyncio.Semaphore, pages: list) -> None:
    async with opened:
        socket = await connect(url, additional_headers={"Cookie": cookie, "Origin": origin}, open_timeout=60,
                               max_queue=None)  # fmt: skip
        assert json.loads(await socket.recv())["kind"] == "hello"
        await socket.send(json.dumps({"since": await asyncio.to_thread(current_seq)}))
    pages.append(socket)
    async for message in socket:
        now = time.time()
        message = json.loads(message)
        for event in message["data"]["events"] if message["kind"] == "batch" else [message]:
            data = event["data"]
            if "bench_ready" in data:
                page.ready = True
            elif "bench_n" in data:
                page.received[data["bench_n"]] = (now - data["bench_sent"]) * 1000


def _send_events(count: int, rate: float, instances: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """`count` instance events at `rate` per second, on this thread; returns (number, host id) of each."""
    sent, started = [], time.monotonic()
    for n in range(count):
        wait = started + n / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        pk, host_id = random.choice(instances)
        broadcast("instance", {"id": pk, "host_id": host_id, "bench_n": n, "bench_sent": time.time()})
        sent.append((n, host_id))
    return sent


async def _swarm(pages: list[Page], cookies: dict[str, str], ports: list[int], seconds: float, rate: float,
                 instances: list[tuple[int, int]]) -> tuple[float, float, list[tuple[int, int]]]:  # fmt: skip
    opened, sockets, tasks = asyncio.Semaphore(50), [], []
    started = time.monotonic()
    for n, page in enumerate(pages):
        port = ports[n % len(ports)]
        url, origin = f"ws://127.0.0.1:{port}/ws/live/", f"http://127.0.0.1:{port}"
        tasks.append(asyncio.create_task(_open(page, url, cookies[page.user], origin, opened, sockets)))
    while len(sockets) < len(pages):
        failed = [task for task in tasks if task.done() and task.exception()]
        if failed:
            raise failed[0].exception()
        await asyncio.sleep(0.05)
    connecting = time.monotonic() - started
    # every page has told the console what it has seen once a "grants" event (every user sees
    # those; each page re-reads its user's access on one, so it is sent once) has reached it
    await asyncio.to_thread(broadcast, "grants", {"bench_ready": True})
    while not all(page.ready for page in pages):
        await asyncio.sleep(0.1)
    ready = time.monotonic() - started - connecting
    sent = await asyncio.to_thread(_send_events, int(seconds * rate), rate, instances)
    deadline = time.monotonic() + 10  # what has not arrived 10 s after the last event is lost
    while time.monotonic() < deadline and any(len(page.received) < _expected(page, sent) for page in pages):
        await asyncio.sleep(0.1)
    for socket in sockets:
        await socket.close()
    for task in tasks:
        task.cancel()
    return connecting, ready, sent


def _expected(page: Page, sent: list[tuple[int, int]]) -> int:
    return sum(1 for _n, host_id in sent if page.may_see(host_id))


def live_latency(*, web: int, sockets: int, rate: float, seconds: float, cpu_seconds) -> None:
    """Print the event → page latency of `sockets` pages over `web` processes at `rate` events/s."""
    hosts = list(Host.objects.order_by("pk")[:20])
    instances = list(Instance.objects.filter(host__in=hosts).values_list("pk", "host_id"))
    people = _people(hosts, users=max(1, sockets // 10), fleet_users=2)
    cookies = {user.username: _cookie(user) for user, _hosts in people}
    pages = [Page(user=people[n % len(people)][0].username, hosts=people[n % len(people)][1]) for n in range(sockets)]
    first_port = 18300
    processes = web_processes(web, first_port)
    ports = list(range(first_port, first_port + web))
    try:
        up = wait_until(lambda: all(_answers(port) for port in ports), timeout=60, step=0.2)
        if up is None:
            raise SystemExit("the web processes did not answer within 60 s:\n" + (WORK / "web.log").read_text()[-3000:])
        before = [cpu_seconds(p.pid) for p in processes]
        own = time.process_time()
        connecting, ready, sent = asyncio.run(_swarm(pages, cookies, ports, seconds, rate, instances))
        web_cpu = [cpu_seconds(p.pid) - b for p, b in zip(processes, before, strict=True)]
        swarm_cpu = time.process_time() - own
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:  # (never left behind)
                process.kill()
                process.wait()
    _report(pages, sent, web, rate, seconds, (connecting, ready), web_cpu, swarm_cpu)


def _answers(port: int) -> bool:
    import urllib.request

    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2).read()
        return True
    except OSError:
        return False


def _report(pages, sent, web, rate, seconds, setup, web_cpu, swarm_cpu) -> None:
    latencies = [ms for page in pages for ms in page.received.values()]
    visible_by_page = [{n for n, host_id in sent if page.may_see(host_id)} for page in pages]
    lost = sum(len(visible - page.received.keys()) for page, visible in zip(pages, visible_by_page, strict=True))
    wrong = sum(len(page.received.keys() - visible) for page, visible in zip(pages, visible_by_page, strict=True))
    per_user = defaultdict(int)
    for page in pages:
        per_user[page.hosts is None] += len(page.received)
    print(f"  live updates: {len(pages)} logged-in pages on {web} web processes (connected in {setup[0]:.1f} s, "
          f"a first event to all of them in {setup[1]:.1f} s), "
          f"{len(sent)} events at {rate:g}/s over {seconds:g} s: {len(latencies)} deliveries "
          f"({per_user[False]} to one-host viewers, {per_user[True]} to fleet admins)")  # fmt: skip
    if latencies:
        print(f"    event -> page latency p50 {pct(latencies, 0.5):.1f} ms, p95 {pct(latencies, 0.95):.1f} ms, "
              f"p99 {pct(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms (target p95 <= 300 ms)")  # fmt: skip
    print(f"    lost {lost} (target 0); shown to a user who may not see it {wrong} (target 0); CPU: web "
          f"{', '.join(f'{c:.1f}' for c in web_cpu)} s, the swarm (clients and sender) {swarm_cpu:.1f} s")  # fmt: skip
