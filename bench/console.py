"""Benchmark: the console proxy's own cost. A local TCP target stands in for the VNC server (so
this measures the proxy, not QEMU): (a) throughput target -> browser through our proxy vs a plain
websockify with a static target, (b) small echo round trips through ours vs plain websockify vs raw
TCP, plus connect times, (c) many concurrent sessions through ours, each with its own ticket.
Prints figures; asserts nothing.

    .venv/bin/python bench/console.py [--mib 256] [--roundtrips 2000] [--sessions 100]

Uses a throw-away database in a temp folder and Redis db 14 (BENCH_REDIS_URL), flushed at the end."""

from support import pct, spread, wait_until  # first: sets Django up on throw-away state

# isort: split

import argparse
import multiprocessing
import os
import socket
import socketserver
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import django_rq
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections
from django.test import Client
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect
from websockify.websocketproxy import WebSocketProxy

from console import tickets
from console.models import ConsoleSession
from console.proxy import TicketPlugin, make_server, prepare
from hosts.models import Host
from instances.models import Instance
from tests.support.live_server import free_port

TARGETS = "targets: throughput >= 90% of plain websockify; added latency <= 1 ms p50; "
TARGETS += "100 concurrent sessions without errors"
CHUNK = 64 * 1024


class Target(socketserver.BaseRequestHandler):
    """The stand-in VNC server. First byte: b"E" echoes everything back; b"S" + 8-byte size
    sends that many bytes, then closes."""

    def handle(self):
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        mode = sock.recv(1)
        if mode == b"S":
            remaining = int.from_bytes(recv_exact(sock, 8), "big")
            block = os.urandom(CHUNK)
            while remaining > 0:
                remaining -= sock.send(block[: min(CHUNK, remaining)])
        elif mode == b"E":
            while data := sock.recv(CHUNK):
                sock.sendall(data)


class TargetServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512


class BenchPlugin(TicketPlugin):
    """Our plugin, but every ticket leads to the bench's target instead of a guest's console."""

    def __init__(self, address: tuple[str, int]):
        super().__init__()
        self.address = address

    def resolve_target(self, instance, kind):
        return self.address


def recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed early")
        data += chunk
    return data


def serve_in_process(serve) -> multiprocessing.Process:
    """Run `serve` in a forked process (websockify wants the main thread for its signals)."""
    prepare()  # as `manage.py consoleproxy` does; closes our database connections before the fork
    process = multiprocessing.Process(target=serve)  # not a daemon: websockify forks children
    process.start()
    return process


def wait_listening(port: int) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"nothing listens on {port} after 20 s") from None
            time.sleep(0.05)


class Bench:
    def __init__(self):
        call_command("migrate", verbosity=0)
        self.user = User.objects.create_user("bench", password="bench-password-123")
        host = Host.objects.create(name="bench", uri="test:///default")
        self.instance = Instance.objects.create(host=host, uuid="00000000-0000-4000-8000-00000000be4c", name="bench-vm")
        client = Client()
        client.force_login(self.user)
        self.cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        self.origin = settings.CONSOLE_ALLOWED_ORIGINS[0]
        target_port, ours_port, plain_port = free_port(), free_port(), free_port()
        self.target = ("127.0.0.1", target_port)
        server = TargetServer(self.target, Target)
        ours = make_server(host="127.0.0.1", port=ours_port, plugin=BenchPlugin(self.target))
        plain = WebSocketProxy(listen_host="127.0.0.1", listen_port=plain_port, target_host="127.0.0.1",
                               target_port=target_port, heartbeat=30)  # fmt: skip
        self.processes = [serve_in_process(server.serve_forever), serve_in_process(ours.start_server),
                          serve_in_process(plain.start_server)]  # fmt: skip
        server.server_close()
        for port in (target_port, ours_port, plain_port):
            wait_listening(port)
        self.ours, self.plain = f"ws://127.0.0.1:{ours_port}/", f"ws://127.0.0.1:{plain_port}/"

    def open(self, proxy: str):
        """A websocket to the target through `proxy` (ours with a fresh ticket)."""
        url = proxy
        if proxy == self.ours:
            token = tickets.issue(user_id=self.user.pk, instance_id=self.instance.pk, kind="vnc")
            url = f"{proxy}vnc?token={token}"
        headers = {"Cookie": self.cookie}
        return ws_connect(url, origin=self.origin, additional_headers=headers, proxy=None, compression=None,
                          max_size=None, ping_interval=None, open_timeout=30)  # fmt: skip

    def throughput(self, proxy: str, size: int) -> float:
        """MiB/s of `size` bytes sent by the target and received by the browser."""
        with self.open(proxy) as websocket:
            started = time.perf_counter()
            websocket.send(b"S" + size.to_bytes(8, "big"))
            received = 0
            try:
                while True:
                    received += len(websocket.recv())
            except ConnectionClosed:
                pass
            elapsed = time.perf_counter() - started
        assert received == size, f"received {received} of {size} bytes"
        return size / elapsed / 2**20

    def roundtrips(self, proxy: str | None, count: int, payload: bytes) -> list[float]:
        """Milliseconds per echo round trip through `proxy`, or over raw TCP when None."""
        samples = []
        if proxy is None:
            with socket.create_connection(self.target) as sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.sendall(b"E")
                for _ in range(count):
                    started = time.perf_counter()
                    sock.sendall(payload)
                    recv_exact(sock, len(payload))
                    samples.append((time.perf_counter() - started) * 1000)
            return samples
        with self.open(proxy) as websocket:
            websocket.send(b"E")
            for _ in range(count):
                started = time.perf_counter()
                echo_once(websocket, payload)
                samples.append((time.perf_counter() - started) * 1000)
        return samples

    def connect_times(self, proxy: str, count: int) -> list[float]:
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            with self.open(proxy) as websocket:
                websocket.send(b"E")
                echo_once(websocket, b"x")
                samples.append((time.perf_counter() - started) * 1000)
        return samples

    def session(self, exchanges: int) -> float:
        """One console session: connect with its own ticket, then `exchanges` checked echoes."""
        started = time.perf_counter()
        with self.open(self.ours) as websocket:
            websocket.send(b"E")
            for index in range(exchanges):
                payload = index.to_bytes(4, "big") * 256
                assert echo_once(websocket, payload) == payload, "echo differs"
        return (time.perf_counter() - started) * 1000

    def stop(self):
        for process in self.processes:
            process.terminate()
            process.join(10)


def micros(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples) * 1000:.0f} µs, p95 {pct(samples, 0.95) * 1000:.0f} µs"


def echo_once(websocket, payload: bytes) -> bytes:
    websocket.send(payload)
    received = b""
    while len(received) < len(payload):
        received += websocket.recv(timeout=30)
    return received


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=256, help="MiB per throughput run")
    parser.add_argument("--roundtrips", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=100)
    args = parser.parse_args()

    bench = Bench()
    try:
        print(TARGETS)
        print(f"(a) throughput target -> browser, {args.mib} MiB per run, best of 3:")
        proxies = {"plain websockify": bench.plain, "our proxy": bench.ours}
        runs = {name: [] for name in proxies}
        for _ in range(3):  # interleaved, so neither gets the warmer machine
            for name, proxy in proxies.items():
                runs[name].append(bench.throughput(proxy, args.mib * 2**20))
        rates = {name: max(samples) for name, samples in runs.items()}
        for name, samples in runs.items():
            print(f"    {name}: {rates[name]:.0f} MiB/s (runs: {', '.join(f'{rate:.0f}' for rate in samples)})")
        print(f"    ours / plain: {rates['our proxy'] / rates['plain websockify']:.0%}")

        print(f"(b) echo round trip of 32 bytes, {args.roundtrips} each:")
        medians = {}
        for name, proxy in (("raw TCP", None), ("plain websockify", bench.plain), ("our proxy", bench.ours)):
            samples = bench.roundtrips(proxy, args.roundtrips, b"k" * 32)
            medians[name] = statistics.median(samples)
            print(f"    {name}: {micros(samples)}")
        added = medians["our proxy"] - medians["raw TCP"]
        over_plain = medians["our proxy"] - medians["plain websockify"]
        print(f"    added by our proxy over raw TCP: {added:.3f} ms p50 ({over_plain:+.3f} ms vs plain websockify)")
        for name, proxy in (("plain websockify", bench.plain), ("our proxy", bench.ours)):
            print(f"    connect + first echo, {name}: {spread(bench.connect_times(proxy, 50))}")

        print(f"(c) {args.sessions} concurrent sessions through our proxy, 50 checked 1 KiB echoes each:")
        ConsoleSession.objects.all().delete()
        connections.close_all()
        errors, times = [], []
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.sessions) as pool:
            futures = [pool.submit(bench.session, 50) for _ in range(args.sessions)]
            for future in futures:
                try:
                    times.append(future.result())
                except Exception as error:  # noqa: BLE001 - counted and shown, not raised
                    errors.append(f"{type(error).__name__}: {error}")
        wall = time.perf_counter() - started
        print(f"    wall {wall:.2f} s; per session {spread(times) if times else '-'}; errors {len(errors)}")
        for error in sorted(set(errors))[:5]:
            print(f"      {errors.count(error)} x {error}")
        closed = ConsoleSession.objects.filter(ended__isnull=False)
        wait_until(lambda: closed.count() >= args.sessions - len(errors), 30)
        print(f"    console sessions recorded and closed: {closed.count()} of {args.sessions}")
    finally:
        bench.stop()
        django_rq.get_connection("default").flushdb()


if __name__ == "__main__":
    main()
