"""What a client that shows no ticket can hold of the console proxy (a real `manage.py consoleproxy`
process and raw sockets): a connection that never finishes its request is closed after the
header deadline, and connections beyond the caps per address and in all are closed at once."""

import socket
import time

import pytest

from tests.support.consoleproxy import ProxyProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
PARTIAL = b"GET /vnc?token=x HTTP/1.1\r\nHost: console.test\r\n"  # and never the blank line


def hold(proxy: ProxyProcess, source: str = "127.0.0.1") -> socket.socket:
    """A connection from `source` that sends the start of a request and then nothing."""
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=30, source_address=(source, 0))
    sock.sendall(PARTIAL)
    return sock


def closed_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the proxy closed `sock` (fails when it is still open after `seconds`)."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        assert sock.recv(1024) == b"", "the proxy answered instead of closing"
    except TimeoutError:
        pytest.fail(f"still open after {seconds} s")
    except ConnectionResetError:
        pass
    return time.monotonic() - start


def handlers(proxy: ProxyProcess) -> int:
    """How many handler processes the proxy has now."""
    with open(f"/proc/{proxy.process.pid}/task/{proxy.process.pid}/children") as file:
        return len(file.read().split())


def still_open(sock: socket.socket) -> bool:
    sock.settimeout(0.5)
    try:
        return sock.recv(1024) != b""
    except TimeoutError:
        return True
    except ConnectionResetError:
        return False


@pytest.fixture
def proxy_process(tmp_path):
    started = []

    def start(**settings_env) -> ProxyProcess:
        process = ProxyProcess(tmp_path / f"proxy{len(started)}.log", origins="http://console.test", **settings_env)
        started.append(process.start())
        return process

    yield start
    for process in started:
        process.stop()


def test_a_request_never_finished_is_closed_at_the_header_deadline(proxy_process):
    proxy = proxy_process(CONSOLE_PROXY_HEADER_DEADLINE="2")
    mark = proxy.mark()
    slow = [hold(proxy) for _ in range(3)]
    for sock in slow:
        assert closed_within(sock, 15) < 15
    assert "request line and headers not received within 2 s" in proxy.wait_log(mark, "within 2 s")


def test_connections_beyond_the_caps_are_closed_at_once_and_the_rest_kept(proxy_process):
    proxy = proxy_process(
        CONSOLE_PROXY_HEADER_DEADLINE="60", CONSOLE_PROXY_MAX_PER_ADDRESS="3", CONSOLE_PROXY_MAX_CONNECTIONS="5"
    )
    mark = proxy.mark()
    first = []
    for count in range(1, 4):  # each has its handler process before the next comes
        first.append(hold(proxy))
        wait_until(lambda: handlers(proxy) == count, timeout=10, what=f"{count} handler processes")  # noqa: B023
    fourth = hold(proxy)
    assert closed_within(fourth, 10) < 10
    assert "3 connections from this address already" in proxy.wait_log(mark, "from this address already")

    others = []
    for count in range(4, 6):  # another address: room for two more in all
        others.append(hold(proxy, "127.0.0.2"))
        wait_until(lambda: handlers(proxy) == count, timeout=10, what=f"{count} handler processes")  # noqa: B023
    assert closed_within(hold(proxy, "127.0.0.2"), 10) < 10
    assert "5 connections already" in proxy.wait_log(mark, "5 connections already")
    assert all(still_open(sock) for sock in first + others)  # who was in stays

    for sock in first:  # their handler processes end: their slots are free again
        sock.close()
    wait_until(lambda: handlers(proxy) == 2, timeout=10, what="the closed connections' handlers gone")
    again = hold(proxy)
    wait_until(lambda: handlers(proxy) == 3, timeout=10, what="a handler for the new connection")
    assert still_open(again)
