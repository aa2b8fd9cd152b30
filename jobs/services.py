"""Creating operations: the row first, the job on the queue after the transaction commits."""

import django_rq
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from rq import Worker

from jobs.models import Operation
from jobs.registry import HANDLERS
from live.broadcast import broadcast

QUEUE = "default"


class NoWorker(Exception):
    """No job worker is alive: the operation would wait forever, so it is refused."""


def workers_alive() -> int:
    queue = django_rq.get_queue(QUEUE)
    return len(Worker.all(connection=queue.connection, queue=queue))


def start_operation(
    *,
    kind: str,
    target=None,
    target_type: str = "",
    target_name: str = "",
    user=None,
    params: dict | None = None,
    host=None,
) -> Operation:
    """Record an operation of `kind` on `target` (a model instance, or only a type and name for
    an object the operation will create) and queue it for the worker. The operation's host is
    `host`, else the target if it is a host, else the target's host."""
    if kind not in HANDLERS:
        raise ValueError(f"unknown operation {kind!r}")
    if workers_alive() == 0:
        raise NoWorker("No job worker is running, so nothing would carry this out. Start one (make run).")
    op = Operation.objects.create(
        kind=kind,
        target_type=target._meta.model_name if target is not None else target_type,
        target_id=str(target.pk) if target is not None else "",
        target_name=str(target) if target is not None else target_name,
        user=user if user is not None and user.is_authenticated else None,
        host_id=_host_id(target, host),
        params=params or {},
    )
    transaction.on_commit(lambda: _enqueue(op))
    return op


def start_from_page(request, *, kind: str, target, params: dict):
    """start_operation for a view: the redirect to the operation's page, or None (after an error
    message for the next page) when no worker runs."""
    try:
        op = start_operation(kind=kind, target=target, user=request.user, params=params)
    except NoWorker as error:
        messages.error(request, str(error))
        return None
    return redirect("operation-detail", pk=op.pk)


def _host_id(target, host) -> int | None:
    if host is not None:
        return host.pk
    if target is None:
        return None
    if target._meta.label_lower == "hosts.host":
        return target.pk
    return getattr(target, "host_id", None)


def _enqueue(op: Operation) -> None:
    django_rq.get_queue(QUEUE).enqueue("jobs.runner.run_operation", op.pk, job_id=f"operation-{op.pk}")
    broadcast("operation", op.as_event())
