"""The connection layer: one connection per URI, bounded opening, translated errors."""

import socket
import threading
import time

import pytest

from virt.connection import ConnectionPool, open_connection
from virt.errors import HostUnreachable, NotFound
from virt.host import summarize


def test_pool_opens_lazily_and_reuses_the_connection():
    pool = ConnectionPool(timeout=2)
    first = pool.get("test:///default")
    assert pool.get("test:///default") is first
    pool.drop("test:///default")
    assert pool.get("test:///default") is not first
    pool.close_all()


def test_summary_of_the_test_driver():
    pool = ConnectionPool(timeout=2)
    with pool.connection("test:///default") as conn:
        summary = summarize(conn)
    assert summary.hypervisor == "TEST"
    assert summary.cpus > 0 and summary.memory_mib > 0
    assert summary.domains == 1  # the test driver's own "test" domain
    pool.close_all()


def test_closed_port_is_reported_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    uri = f"qemu+tcp://127.0.0.1:{port}/system"
    with pytest.raises(HostUnreachable, match=r"Host unreachable .*Connection refused"):
        open_connection(uri, timeout=2)


def test_silent_host_gives_up_after_the_timeout():
    """A peer that accepts TCP but never speaks must not hang the caller."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(HostUnreachable, match="no answer within 0.5 s"):
            open_connection(f"qemu+tcp://127.0.0.1:{server.getsockname()[1]}/system", timeout=0.5)
    finally:
        server.close()
    assert time.monotonic() - started < 2


def test_errors_inside_a_connection_are_translated():
    pool = ConnectionPool(timeout=2)
    with pytest.raises(NotFound, match="No such instance"):
        with pool.connection("test:///default") as conn:
            conn.lookupByName("does-not-exist")
    pool.close_all()
