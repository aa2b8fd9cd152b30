"""libvirt's event loop, run in one daemon thread per process.

It must be registered before connections are opened: keepalive pings, close callbacks and
domain events are all delivered through it."""

import threading

import libvirt

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
