"""libvirt's event loop, run in one daemon thread per process.

It must be registered before connections are opened: keepalive pings, close callbacks, domain
events and stream callbacks are all delivered through it."""

import logging
import threading
from collections.abc import Callable

import libvirt

log = logging.getLogger(__name__)

_lock = threading.Lock()
_thread: threading.Thread | None = None


def _run() -> None:
    while True:
        libvirt.virEventRunDefaultImpl()


def start_event_loop() -> None:
    """Start the event loop once; later calls do nothing."""
    global _thread
    with _lock:
        if _thread is not None:
            return
        libvirt.virEventRegisterDefaultImpl()
        _thread = threading.Thread(target=_run, name="libvirt-events", daemon=True)
        _thread.start()


def running() -> bool:
    return _thread is not None


def call_soon(func: Callable[[], None]) -> None:
    """Run `func()` once on the event-loop thread, as soon as it is free: the thread that runs
    stream callbacks, so `func` never runs at the same time as one of them. The caller does not
    wait. Errors in `func` are logged, never raised into the loop."""

    def fire(timer: int, _opaque) -> None:
        libvirt.virEventRemoveTimeout(timer)
        try:
            func()
        except Exception:  # noqa: BLE001  (the loop must keep running for every other connection)
            log.exception("a call on libvirt's event loop failed")

    libvirt.virEventAddTimeout(0, fire, None)
