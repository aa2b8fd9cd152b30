"""One libvirt connection per host URI: opened lazily, bounded in time, shared under a lock,
reopened when it died."""

import threading
from contextlib import contextmanager

import libvirt

from virt.credentials import Credentials, auth_callback, uri_with_key
from virt.errors import HostUnreachable, translate

# libvirt prints every error to stderr by default; we translate and report them ourselves.
libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


def open_connection(uri: str, *, timeout: float, credentials: Credentials | None = None) -> libvirt.virConnect:
    """Open `uri`, giving up after `timeout` seconds with HostUnreachable."""
    outcome: dict = {}

    def attempt():
        try:
            with uri_with_key(uri, credentials) as target:
                outcome["conn"] = libvirt.openAuth(target, auth_callback(credentials), 0)
        except libvirt.libvirtError as error:
            outcome["error"] = translate(error, uri=uri)

    thread = threading.Thread(target=attempt, name=f"libvirt-open {uri}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise HostUnreachable(f"Host unreachable ({uri}): no answer within {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["conn"]


class ConnectionPool:
    """Keeps one open connection per URI for the life of the process (worker, monitor)."""

    def __init__(self, *, timeout: float = 2.0, keepalive: tuple[int, int] | None = None):
        self.timeout = timeout
        self.keepalive = keepalive  # (interval, count): needs virt.events.start_event_loop()
        self._lock = threading.Lock()
        self._uri_locks: dict[str, threading.Lock] = {}
        self._conns: dict[str, libvirt.virConnect] = {}

    def _uri_lock(self, uri: str) -> threading.Lock:
        with self._lock:
            return self._uri_locks.setdefault(uri, threading.Lock())

    def get(self, uri: str, credentials: Credentials | None = None) -> libvirt.virConnect:
        """The live connection for `uri`, opening (or reopening) it when needed."""
        with self._uri_lock(uri):
            conn = self._conns.get(uri)
            if conn is not None:
                try:
                    if conn.isAlive():
                        return conn
                except libvirt.libvirtError:
                    pass
                self._discard(uri)
            conn = open_connection(uri, timeout=self.timeout, credentials=credentials)
            if self.keepalive:
                try:
                    conn.setKeepAlive(*self.keepalive)  # a frozen host fails calls instead of hanging them
                except libvirt.libvirtError:
                    pass  # local drivers have none
            self._conns[uri] = conn
            return conn

    def drop(self, uri: str) -> None:
        """Forget (and close) the connection for `uri`, e.g. after the host went away."""
        with self._uri_lock(uri):
            self._discard(uri)

    def _discard(self, uri: str) -> None:
        conn = self._conns.pop(uri, None)
        if conn is not None:
            try:
                conn.close()
            except libvirt.libvirtError:
                pass

    def close_all(self) -> None:
        for uri in list(self._conns):
            self.drop(uri)

    @contextmanager
    def connection(self, uri: str, credentials: Credentials | None = None):
        """`with pool.connection(uri) as conn:` — libvirt errors inside come out translated;
        a connection-level failure drops the cached connection so the next call reconnects."""
        conn = self.get(uri, credentials)
        try:
            yield conn
        except libvirt.libvirtError as error:
            translated = translate(error, uri=uri)
            if isinstance(translated, HostUnreachable):
                self.drop(uri)
            raise translated from None
