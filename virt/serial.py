"""A guest's serial console as a libvirt stream: open (shared or forced), output by callback,
write, close. A console stream ends (EOF or a stream error) when QEMU stops or restarts, or when
another client forces the console open: reopening without force tells these apart (ConsoleBusy).

Each console has a connection of its own, and closing the console closes that connection
instead of aborting the stream: the daemon then releases the console. A stream abort waits for
the daemon's reply, and the daemon never sends one for a stream it has just dropped itself (when
another client forced the console open a moment before): that abort waits for good. Closing a
connection is an ordinary call the daemon always answers, or that keepalive ends when the host is
gone. Closing never blocks the caller: the stream's callback is removed on libvirt's event-loop
thread (the thread that runs it, so the two never overlap), then a short-lived thread of its own
drops the stream and closes the connection.

The callback's data is a dict we keep and empty once the callback is removed. With libvirt 9.0
the data libvirt-python registers itself (stream.eventAddCallback) is never released: it holds the
stream, the stream holds the connection, and the connection never closes."""

import threading
import time
from collections.abc import Callable

import libvirt
import libvirtmod  # libvirt-python's C module: see the module docstring for why

from virt import events
from virt.connection import open_connection
from virt.credentials import Credentials
from virt.errors import VirtError, translate, translated

CHUNK = 64 * 1024
CLOSE_WAIT = 10.0  # seconds an open waits for this process's earlier close of the same console

# Consoles this process is closing: (uri, uuid) -> events set once their connection is closed. The
# daemon would otherwise hand a console opened meanwhile to the new stream and then, closing the
# old connection, forget who holds it: a later forced open would not end the new stream.
_closing: dict[tuple[str, str], list[threading.Event]] = {}
_closing_lock = threading.Lock()


class ConsoleBusy(VirtError):
    """Another client holds the console and we did not force it open."""


@translated
def run_id(conn: libvirt.virConnect, uuid: str) -> int | None:
    """The domain's id while it runs (a new one every time QEMU starts), None while it is off."""
    domain = conn.lookupByUUIDString(uuid)
    state, _reason = domain.state(0)
    if state in (libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_CRASHED, libvirt.VIR_DOMAIN_NOSTATE):
        return None
    domain_id = domain.ID()
    return domain_id if domain_id >= 0 else None


class SerialConsole:
    """One open console stream on its own connection, non-blocking: libvirt's event loop
    (virt.events, started first) calls us when the guest writes, so no thread waits in recv."""

    def __init__(self, conn: libvirt.virConnect, stream: libvirt.virStream, *, domain_id: int, key: tuple):
        self._key = key
        self._conn = conn
        self._stream = stream
        self._lock = threading.Lock()  # the end is reported once
        self._closed = False
        self._on_data: Callable[[bytes], None] = lambda _chunk: None
        self._on_end: Callable[[str], None] | None = None
        self._callback_data: dict = {}
        self._released = threading.Event()  # set once the stream's connection is closed: the console is free
        self.domain_id = domain_id
        self.end_reason = ""

    @classmethod
    def open(
        cls,
        uri: str,
        uuid: str,
        *,
        force: bool = False,
        credentials: Credentials | None = None,
        timeout: float = 2.0,
        keepalive: tuple[int, int] = (1, 3),
    ) -> "SerialConsole":
        """Open the guest's first console on a new connection to `uri`. `force` takes it from
        whoever holds it (their stream ends); without it a held console raises ConsoleBusy."""
        events.start_event_loop()
        _wait_for_closes(uri, uuid)
        conn = open_connection(uri, timeout=timeout, credentials=credentials)
        try:
            _quietly(lambda: conn.setKeepAlive(*keepalive))  # local drivers have none
            domain = conn.lookupByUUIDString(uuid)
            stream = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
            domain.openConsole(None, stream, libvirt.VIR_DOMAIN_CONSOLE_FORCE if force else 0)
            return cls(conn, stream, domain_id=domain.ID(), key=(uri, uuid))
        except libvirt.libvirtError as error:
            _quietly(conn.close)
            if error.get_error_code() == libvirt.VIR_ERR_OPERATION_FAILED and "console" in str(error).lower():
                raise ConsoleBusy("Another client holds this serial console.", detail=str(error)) from None
            raise translate(error, uri=uri) from None

    def start(self, on_data: Callable[[bytes], None], on_end: Callable[[str], None]) -> None:
        """Call `on_data(chunk)` for what the guest writes, then `on_end(reason)` once when the
        stream ends (QEMU stopped, console forced open elsewhere, or `close`). Both are called
        from libvirt's event-loop thread: they must not block."""
        self._on_data, self._on_end = on_data, on_end
        # What virStream.eventAddCallback does, with the data kept here (see the module docstring).
        self._callback_data.update(stream=self._stream, cb=self._readable, opaque=None)
        if libvirtmod.virStreamEventAddCallback(self._stream._o, _EVENTS, self._callback_data) == -1:
            self._callback_data.clear()
            self._end("the console stream cannot be watched")

    def _readable(self, stream, _events, _opaque) -> None:
        try:
            while not self._closed:
                chunk = stream.recv(CHUNK)
                if chunk == -2:  # nothing more for now
                    return
                if not chunk:
                    return self._end("end of stream")
                self._on_data(chunk)
        except libvirt.libvirtError as error:
            # Forced open by another client, QEMU gone, or our own close: never a host fault here.
            self._end(error.get_error_message() or str(error))

    def write(self, data: bytes) -> None:
        """Send keystrokes to the guest (waits while the stream is full); dropped once it ended. A
        stream that refuses them has ended (on_end follows)."""
        view = memoryview(data)
        while view:
            stream = self._stream
            if self._closed or stream is None:
                return
            try:
                sent = stream.send(bytes(view))
            except libvirt.libvirtError as error:
                # The daemon dropped the stream without a word (it does not always tell a stream it
                # ended because another client forced the console open): the session ends here.
                return self._end(error.get_error_message() or str(error))
            if sent == -2:
                time.sleep(0.01)
                continue
            view = view[sent:]

    def close(self) -> None:
        """End the session now (`on_end("closed")` if it had not ended); the stream and its
        connection are released in the background. Returns at once; idempotent."""
        self._end("closed")

    def wait_released(self, timeout: float) -> bool:
        """After close (or the stream's end): wait until the daemon has let the console go."""
        return self._released.wait(timeout)

    def _end(self, reason: str) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self.end_reason = reason
            closed = self._released
            held = [self._stream, self._conn, closed, self._callback_data]
            self._stream = self._conn = None
        with _closing_lock:
            _closing.setdefault(self._key, []).append(closed)
        events.call_soon(lambda: _release(held, self._key))
        if self._on_end is not None:
            self._on_end(reason)


_EVENTS = libvirt.VIR_STREAM_EVENT_READABLE | libvirt.VIR_STREAM_EVENT_HANGUP | libvirt.VIR_STREAM_EVENT_ERROR


def _wait_for_closes(uri: str, uuid: str) -> None:
    with _closing_lock:
        pending = list(_closing.get((uri, uuid), ()))
    for closed in pending:
        closed.wait(CLOSE_WAIT)


def _release(held: list, key: tuple) -> None:
    """On the event-loop thread: remove the stream's callback and empty its data, then let a
    thread of its own drop the stream and close the connection (a call to the daemon)."""
    stream, _conn, _closed, callback_data = held
    if callback_data:
        _quietly(stream.eventRemoveCallback)
        callback_data.clear()
    del stream  # the last reference must not be dropped on this thread: closing the connection waits
    held.pop()
    threading.Thread(target=_close_connection, args=(held, key), name="serial-close", daemon=True).start()


def _close_connection(held: list, key: tuple) -> None:
    """Drop the stream, then close its connection: the daemon ends the console with it."""
    stream, conn, closed = held
    held.clear()
    del stream
    _quietly(conn.close)
    closed.set()
    with _closing_lock:
        waiting = _closing.get(key, [])
        if closed in waiting:
            waiting.remove(closed)
        if not waiting:
            _closing.pop(key, None)


def _quietly(call) -> None:
    try:
        call()
    except libvirt.libvirtError:
        pass
