"""A guest's serial console as a libvirt stream: open (shared or forced), output by callback,
write, close. A console stream ends (EOF or a stream error) when QEMU stops or restarts, or when
another client forces the console open: reopening without force tells these apart (ConsoleBusy)."""

import threading
import time
from collections.abc import Callable

import libvirt

from virt.errors import VirtError, translate, translated

CHUNK = 64 * 1024


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
    """One open console stream, non-blocking: libvirt's event loop (virt.events) calls us when the
    guest writes, so no thread waits in recv. (A blocking recv on a shared connection was seen to
    miss the forced-close notice and to stall other calls on that connection until a keepalive.)
    The connection must have been opened after start_event_loop(), as hosts.connections.pool() does."""

    def __init__(self, stream: libvirt.virStream, *, domain_id: int):
        self._stream = stream
        self._lock = threading.Lock()  # the end is reported once
        self._closed = False
        self._on_data: Callable[[bytes], None] = lambda _chunk: None
        self._on_end: Callable[[str], None] | None = None
        self.domain_id = domain_id
        self.end_reason = ""

    @classmethod
    def open(cls, conn: libvirt.virConnect, uuid: str, *, force: bool = False) -> "SerialConsole":
        """Open the guest's first console. `force` takes it from whoever holds it (their stream
        ends); without it a held console raises ConsoleBusy."""
        try:
            domain = conn.lookupByUUIDString(uuid)
            stream = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
            try:
                domain.openConsole(None, stream, libvirt.VIR_DOMAIN_CONSOLE_FORCE if force else 0)
            except libvirt.libvirtError:
                _quietly(stream.abort)
                raise
            return cls(stream, domain_id=domain.ID())
        except libvirt.libvirtError as error:
            if error.get_error_code() == libvirt.VIR_ERR_OPERATION_FAILED and "console" in str(error).lower():
                raise ConsoleBusy("Another client holds this serial console.", detail=str(error)) from None
            raise translate(error) from None

    def start(self, on_data: Callable[[bytes], None], on_end: Callable[[str], None]) -> None:
        """Call `on_data(chunk)` for what the guest writes, then `on_end(reason)` once when the
        stream ends (QEMU stopped, console forced open elsewhere, or `close`). Both are called
        from libvirt's event-loop thread: they must not block."""
        self._on_data, self._on_end = on_data, on_end
        try:
            self._stream.eventAddCallback(_EVENTS, self._readable, None)
        except libvirt.libvirtError as error:
            self._end(error.get_error_message() or str(error))

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
        """Send keystrokes to the guest (waits while the stream is full); dropped once it ended."""
        view = memoryview(data)
        while view and not self._closed:
            try:
                sent = self._stream.send(bytes(view))
            except libvirt.libvirtError as error:
                if self._closed:
                    return
                raise translate(error) from None
            if sent == -2:
                time.sleep(0.01)
                continue
            view = view[sent:]

    def close(self) -> None:
        """Abort the stream; `on_end("closed")` if it had not ended. Idempotent."""
        self._end("closed")

    def _end(self, reason: str) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self.end_reason = reason
        _quietly(self._stream.eventRemoveCallback)
        _quietly(self._stream.abort)  # also frees the console on the host's side, so it may be reopened
        if self._on_end is not None:
            self._on_end(reason)


_EVENTS = libvirt.VIR_STREAM_EVENT_READABLE | libvirt.VIR_STREAM_EVENT_HANGUP | libvirt.VIR_STREAM_EVENT_ERROR


def _quietly(call) -> None:
    try:
        call()
    except libvirt.libvirtError:
        pass
