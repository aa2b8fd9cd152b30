"""Watching one host: a connection kept open with keepalive, noticed at once when it closes,
and reopened with backoff when the host comes back."""

import logging
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import libvirt

from virt.connection import open_connection
from virt.credentials import Credentials
from virt.errors import VirtError, translate

log = logging.getLogger(__name__)

_CLOSE_REASONS = {
    libvirt.VIR_CONNECT_CLOSE_REASON_ERROR: "the connection failed",
    libvirt.VIR_CONNECT_CLOSE_REASON_EOF: "the host closed the connection (libvirtd stopped?)",
    libvirt.VIR_CONNECT_CLOSE_REASON_KEEPALIVE: "the host stopped answering keepalive pings",
    libvirt.VIR_CONNECT_CLOSE_REASON_CLIENT: "the connection was closed",
}


_INVENTORY_EVENTS = (  # (register, deregister, event id): a pool or network started, stopped, defined, ...
    ("storagePoolEventRegisterAny", "storagePoolEventDeregisterAny", libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE),
    ("networkEventRegisterAny", "networkEventDeregisterAny", libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE),
)
_DOMAIN_EVENTS = (
    libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
    libvirt.VIR_DOMAIN_EVENT_ID_REBOOT,
    libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_ADDED,
    libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
)


@dataclass(frozen=True)
class WatchPolicy:
    connect_timeout: float = 2.0
    keepalive_interval: int = 1
    keepalive_count: int = 3
    backoff_min: float = 0.5
    backoff_max: float = 5.0


class HostWatch:
    """Keeps a connection to `uri` and reports changes through `on_up(conn)` / `on_down(message)`.

    `poll()` is called regularly by the owner (the monitor); it reconnects when the backoff has
    passed, running connection attempts on `executor` so that a silent host delays nobody.
    Closing is noticed by libvirt's close callback (needs the event loop running). Domain events
    call `on_domain(conn, uuid)`, pool and network events `on_inventory()`."""

    def __init__(
        self,
        uri: str,
        *,
        on_up: Callable,
        on_down: Callable,
        policy: WatchPolicy = WatchPolicy(),
        credentials: Credentials | None = None,
        on_domain: Callable | None = None,
        on_inventory: Callable | None = None,
    ):
        self.uri = uri
        self.credentials = credentials
        self.on_up = on_up
        self.on_down = on_down
        self.on_domain = on_domain
        self.on_inventory = on_inventory
        self.policy = policy
        self.conn: libvirt.virConnect | None = None
        self._lock = threading.Lock()
        self._backoff = policy.backoff_min
        self._next_attempt = 0.0
        self._down_reported = False
        self._connecting = False
        self._dead: list[libvirt.virConnect] = []
        self._event_ids: list[tuple[str, int]] = []  # (deregister method, callback id) on self.conn
        self._refreshing = False  # a read of the host runs: no second one is queued

    def poll(self, executor) -> None:
        """Reconnect when due; notice a dead connection the close callback missed. A dead connection
        is closed once no call on another thread uses it any more."""
        for dead in [conn for conn in self._dead if not _busy(conn)]:
            self._dead.remove(dead)
            _close_quietly(dead)
        conn = self.conn
        if conn is not None:
            try:
                alive = conn.isAlive()
            except libvirt.libvirtError:
                alive = False
            if not alive:
                self._lost(conn, "the connection is no longer alive")
            return
        if not self._connecting and time.monotonic() >= self._next_attempt:
            self._connecting = True
            executor.submit(self._connect)

    def refresh(self, executor) -> None:
        """Call `on_up(conn)` again (on `executor`) so the owner re-reads what it reads there."""
        conn = self.conn
        if conn is not None and not self._refreshing:  # a slow host gets no queue of reads
            self._refreshing = True
            executor.submit(self._report_up, conn)

    def _report_up(self, conn) -> None:
        self._refreshing = True
        try:
            with in_use(conn):
                self.on_up(conn)
        except libvirt.libvirtError as error:
            self._lost(conn, str(translate(error, uri=self.uri)))
        finally:
            self._refreshing = False

    def _connect(self) -> None:
        try:
            conn = open_connection(self.uri, timeout=self.policy.connect_timeout, credentials=self.credentials)
        except VirtError as error:
            self._schedule_retry()
            self._connecting = False
            self._report_down(str(error))
            return
        try:
            conn.setKeepAlive(self.policy.keepalive_interval, self.policy.keepalive_count)
        except libvirt.libvirtError:
            pass  # local drivers (test:///) have no keepalive; their connection cannot drop
        try:
            conn.registerCloseCallback(self._closed, None)
        except libvirt.libvirtError:
            pass
        self._subscribe(conn)
        with self._lock:
            self.conn = conn
            self._backoff = self.policy.backoff_min
            self._down_reported = False
            self._connecting = False
        self._report_up(conn)

    def _subscribe(self, conn) -> None:
        """Domain events (lifecycle, reboot, devices) and pool and network events call the owner's
        callbacks on the event loop thread; the owner must not call libvirt there, only hand on."""
        domain = ("domainEventRegisterAny", "domainEventDeregisterAny")
        wanted = [(*domain, event_id, self._domain_event) for event_id in _DOMAIN_EVENTS if self.on_domain]
        wanted += [(*names, self._inventory_event) for names in _INVENTORY_EVENTS if self.on_inventory]
        self._event_ids = []
        for register, deregister, event_id, callback in wanted:
            try:
                self._event_ids.append((deregister, getattr(conn, register)(None, event_id, callback, None)))
            except libvirt.libvirtError as error:
                log.warning("%s: no events %s %s: %s", self.uri, register, event_id, error)

    def _inventory_event(self, conn, *_args) -> None:
        if self.conn is conn:
            self.on_inventory()

    def _domain_event(self, conn, domain, *_args) -> None:
        if self.conn is conn:  # not from a connection this watch has given up
            self.on_domain(conn, domain.UUIDString())

    def _closed(self, conn, reason, _opaque) -> None:
        """libvirt's close callback, on the event loop thread."""
        self._lost(conn, _CLOSE_REASONS.get(reason, f"connection closed (reason {reason})"))

    def _lost(self, conn, why: str) -> None:
        with self._lock:
            if conn is None or self.conn is not conn:
                return
            self.conn = None
            self._next_attempt = time.monotonic() + self.policy.backoff_min
            self._dead.append(conn)  # closed later by poll(), not inside libvirt's callback
        self._report_down(f"Host unreachable ({self.uri}): {why}")

    def _schedule_retry(self) -> None:
        self._next_attempt = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, self.policy.backoff_max)

    def _report_down(self, message: str) -> None:
        if self._down_reported:
            return
        self._down_reported = True
        self.on_down(message)

    def close(self) -> None:
        with self._lock:
            conn, self.conn = self.conn, None
        if conn is not None:  # a live connection: stop its events, or they outlive the close
            for deregister, callback_id in self._event_ids:
                try:
                    getattr(conn, deregister)(callback_id)
                except libvirt.libvirtError:
                    pass
            self._event_ids = []
        for dead in [conn, *self._dead]:
            if dead is not None:
                _close_when_idle(dead)
        self._dead.clear()


_IN_USE: dict[int, int] = {}  # id(connection) -> calls running on it on other threads
_IN_USE_LOCK = threading.Lock()
IDLE_WAIT = 120  # seconds a closed watch waits for calls still running on its connection


@contextmanager
def in_use(conn: libvirt.virConnect):
    """`with in_use(conn):` around calls on a watch's connection from another thread: the watch
    closes it only when none runs (closing a connection under a running call crashes libvirt's client)."""
    key = id(conn)
    with _IN_USE_LOCK:
        _IN_USE[key] = _IN_USE.get(key, 0) + 1
    try:
        yield conn
    finally:
        with _IN_USE_LOCK:
            _IN_USE[key] -= 1
            if not _IN_USE[key]:
                del _IN_USE[key]


def _busy(conn: libvirt.virConnect) -> bool:
    with _IN_USE_LOCK:
        return id(conn) in _IN_USE


def _close_when_idle(conn: libvirt.virConnect) -> None:
    """Close now, or on a helper thread once the calls running on it have returned (a call blocked
    on a host that went away returns within the keepalive's time); never under a running call."""
    if not _busy(conn):
        _close_quietly(conn)
        return

    def wait_then_close() -> None:
        deadline = time.monotonic() + IDLE_WAIT
        while _busy(conn):
            if time.monotonic() > deadline:
                log.warning("a connection still in use after %s s is left open rather than closed under a call",
                            IDLE_WAIT)  # fmt: skip
                return
            time.sleep(0.1)
        _close_quietly(conn)

    threading.Thread(target=wait_then_close, name="libvirt-close", daemon=True).start()


def _close_quietly(conn: libvirt.virConnect) -> None:
    """Close without unregistering the close callback: on a connection libvirt already dropped,
    unregistering touches freed memory; closing releases the callback with the connection."""
    try:
        conn.close()
    except libvirt.libvirtError:
        pass
