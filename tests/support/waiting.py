"""Polling helpers: wait for something the worker or the monitor does in another thread."""

import time

from jobs.models import Operation


def wait_for_operation(op_id: int, *, timeout: float = 30) -> Operation:
    """The operation once it has finished (succeeded or failed)."""
    deadline = time.monotonic() + timeout
    while True:
        op = Operation.objects.get(pk=op_id)
        if op.is_finished:
            return op
        if time.monotonic() > deadline:
            raise AssertionError(f"operation {op_id} still {op.status} after {timeout} s ({op.message})")
        time.sleep(0.05)
