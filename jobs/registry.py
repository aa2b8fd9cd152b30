"""Operation kinds and the functions that carry them out on the worker."""

from collections.abc import Callable
from dataclasses import dataclass

HANDLERS: dict[str, "Handler"] = {}
DEFAULT_TIMEOUT = 15 * 60  # seconds an operation may run unless its kind says otherwise
# The job queues, first served first: clicks (start, stop, attach, ...) before copies and moves of
# guests and volumes, so a worker that frees up takes a waiting click before a waiting copy.
CLICKS, BULK = "default", "bulk"
QUEUES = (CLICKS, BULK)


class OperationFailed(Exception):
    """A handler's clear refusal or failure: its message is what the admin reads."""


@dataclass(frozen=True)
class Handler:
    kind: str
    label: str
    func: Callable
    action: str = "change"  # what the user does to the target: checked again when the job runs
    timeout: float = DEFAULT_TIMEOUT  # seconds: then the job is stopped (or failed) and its target freed
    stoppable: bool = False  # an admin may abort it while it runs (its waits and copies check for it)
    not_run: Callable | None = None  # not_run(op): put right what was prepared for it when it never ran
    queue: str = CLICKS  # BULK for copies and moves


def operation(kind: str, *, label: str, action: str = "change", timeout: float = DEFAULT_TIMEOUT,
              stoppable: bool = False, not_run: Callable | None = None, queue: str = CLICKS):  # fmt: skip
    """Register `func(op, report)` as the handler of operations of `kind`.

    `op` is the Operation row; `report(progress, message)` records progress. The handler returns
    a JSON-able dict (the result; a "url" in it is linked from the operation's page) or raises;
    the message of an OperationFailed or a VirtError is shown to the admin. `action` (view, change,
    delete, console, add) is what the operation's user must still be allowed to do to its target
    when the job starts (jobs.authority). `timeout` bounds the job (then it is stopped, or failed
    by the reaper, and its target freed); `stoppable` says an admin may abort it: its waits and
    copies run under virt.stopping and say, when stopped, what they left behind. `not_run(op)` is
    called when it ends without running (refused when it starts, cancelled, lost from the queue):
    e.g. the spawn removes the row it was queued with. `queue` is BULK for copies and moves (they
    wait behind clicks)."""

    def register(func: Callable) -> Callable:
        if kind in HANDLERS:
            raise ValueError(f"operation {kind!r} registered twice")
        if queue not in QUEUES:
            raise ValueError(f"operation {kind!r}: unknown queue {queue!r}")
        HANDLERS[kind] = Handler(kind=kind, label=label, func=func, action=action, timeout=timeout,
                                 stoppable=stoppable, not_run=not_run, queue=queue)  # fmt: skip
        return func

    return register


def label_for(kind: str) -> str:
    handler = HANDLERS.get(kind)
    return handler.label if handler else kind
