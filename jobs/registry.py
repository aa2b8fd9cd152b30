"""Operation kinds and the functions that carry them out on the worker."""

from collections.abc import Callable
from dataclasses import dataclass

HANDLERS: dict[str, "Handler"] = {}


class OperationFailed(Exception):
    """A handler's clear refusal or failure: its message is what the admin reads."""


@dataclass(frozen=True)
class Handler:
    kind: str
    label: str
    func: Callable
    action: str = "change"  # what the user does to the target: checked again when the job runs


def operation(kind: str, *, label: str, action: str = "change"):
    """Register `func(op, report)` as the handler of operations of `kind`.

    `op` is the Operation row; `report(progress, message)` records progress. The handler returns
    a JSON-able dict (the result; a "url" in it is linked from the operation's page) or raises;
    the message of an OperationFailed or a VirtError is shown to the admin. `action` (view, change,
    delete, console, add) is what the operation's user must still be allowed to do to its target
    when the job starts (jobs.authority)."""

    def register(func: Callable) -> Callable:
        if kind in HANDLERS:
            raise ValueError(f"operation {kind!r} registered twice")
        HANDLERS[kind] = Handler(kind=kind, label=label, func=func, action=action)
        return func

    return register


def label_for(kind: str) -> str:
    handler = HANDLERS.get(kind)
    return handler.label if handler else kind
