"""Stopping long work on request (an operation's abort), without knowing who asks.

The caller runs the work inside `stoppable(signal)`. Loops in virt/ wait with `sleep()` instead of
time.sleep and call `check()` between steps (each chunk of a copy): once the signal is stopped
they raise Stopped within the current wait. A call that blocks inside libvirt (a migration, a
block copy) registers what stops it from outside with `on_stop(func)`: `StopSignal.stop()` runs
it at once, from the thread that asks (e.g. abortJob), and the blocked call then returns."""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from virt.errors import VirtError

log = logging.getLogger(__name__)
_local = threading.local()


class Stopped(VirtError):
    """The work was stopped on request; the message says in what condition it left things."""


class StopSignal:
    """Set once by whoever stops the work; read by the thread doing it."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._hooks: list[Callable[[], None]] = []

    def stop(self) -> None:
        """Stop the work: waits end, registered hooks run (each once; a failing one is logged)."""
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            hooks = list(self._hooks)
        for hook in hooks:
            try:
                hook()
            except Exception:  # noqa: BLE001  (stopping must reach every hook)
                log.exception("a stop hook failed")

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        return self._event.wait(seconds)

    def _add(self, hook: Callable[[], None]) -> bool:
        with self._lock:
            if self._event.is_set():
                return False
            self._hooks.append(hook)
            return True

    def _remove(self, hook: Callable[[], None]) -> None:
        with self._lock:
            if hook in self._hooks:
                self._hooks.remove(hook)


@contextmanager
def stoppable(signal: StopSignal) -> Iterator[StopSignal]:
    """Run the block so that `signal.stop()` ends the waits and copies inside it (this thread)."""
    previous = getattr(_local, "signal", None)
    _local.signal = signal
    try:
        yield signal
    finally:
        _local.signal = previous


def _current() -> StopSignal | None:
    return getattr(_local, "signal", None)


def stop_requested() -> bool:
    signal = _current()
    return signal is not None and signal.is_set()


def check(condition: str = "") -> None:
    """Raise Stopped (saying `condition`, what is left) when a stop was asked for."""
    if stop_requested():
        raise Stopped(condition or "Stopped on request.")


def sleep(seconds: float, condition: str = "") -> None:
    """time.sleep that a stop request ends at once, raising Stopped."""
    signal = _current()
    if signal is None:
        time.sleep(seconds)
    elif signal.wait(seconds):
        raise Stopped(condition or "Stopped on request.")


@contextmanager
def on_stop(hook: Callable[[], None]) -> Iterator[None]:
    """While inside, a stop request also runs `hook()` (from the requesting thread). Stopped
    at once when the stop was asked for before."""
    signal = _current()
    if signal is None:
        yield
        return
    if not signal._add(hook):
        raise Stopped("Stopped on request.")
    try:
        yield
    finally:
        signal._remove(hook)
