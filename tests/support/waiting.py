"""Polling helpers: wait for something the worker, the monitor or a server does in another thread."""

import time
from collections.abc import Callable

from jobs.models import Operation


def wait_until(condition: Callable, *, timeout: float, what: str | Callable[[], str], interval: float = 0.05):
    """Poll `condition()` until it returns something true, and return that. After `timeout` seconds
    an AssertionError says `what` did not happen (`what` may be a function: called only then)."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what() if callable(what) else what}")
        time.sleep(interval)
    return value


def seconds_until(condition: Callable, *, timeout: float, what: str | Callable[[], str]) -> float:
    """How long wait_until waited."""
    started = time.monotonic()
    wait_until(condition, timeout=timeout, what=what)
    return time.monotonic() - started


def wait_for_operation(op_id: int, *, timeout: float = 30) -> Operation:
    """The operation once it has finished (succeeded or failed)."""

    def finished() -> Operation | None:
        op = Operation.objects.get(pk=op_id)
        return op if op.is_finished else None

    def still() -> str:
        op = Operation.objects.get(pk=op_id)
        return f"operation {op_id} finished (still {op.status}: {op.message})"

    return wait_until(finished, timeout=timeout, what=still)
