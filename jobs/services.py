"""Creating operations: the row first, the job on the queue after the transaction commits; and
stopping them: a queued one is cancelled, a running one of a stoppable kind is asked to abort."""

import logging

import django_rq
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.utils import timezone
from redis.exceptions import RedisError
from rq import Queue, Worker

from config.redis_client import redis_client
from jobs.models import ACTIVE, Operation, OperationStatus
from jobs.registry import HANDLERS, label_for
from jobs.signals import operation_finished
from live.broadcast import broadcast

QUEUE = "default"
ENQUEUE_MARGIN = 120  # seconds rq gives a job beyond its kind's timeout before it kills it
log = logging.getLogger(__name__)


class NoWorker(Exception):
    """No job worker is alive: the operation would wait forever, so it is refused."""


class Busy(Exception):
    """The target already has an operation queued or running (one at a time, kept by the database)."""


class NotStoppable(Exception):
    """The operation is not in a state (or of a kind) that can be cancelled or aborted."""


def queue_named(name: str) -> Queue:
    """The rq queue `name` on the process's one Redis client (django_rq.get_queue alone makes a new
    client, which connects and greets Redis, on every call: ~1 ms a click)."""
    return django_rq.get_queue(name, connection=redis_client())


def workers_alive(queue_name: str = QUEUE) -> int:
    """How many workers serve the queue; NoWorker when the queue itself (Redis) does not answer."""
    queue = queue_named(queue_name)
    try:
        return len(Worker.all(connection=queue.connection, queue=queue))
    except RedisError as error:
        raise NoWorker(
            f"The job queue (Redis) does not answer ({error}), so nothing can be queued now. Nothing was changed."
        ) from None


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
    if workers_alive(HANDLERS[kind].queue) == 0:
        raise NoWorker("No job worker is running, so nothing would carry this out. Start one (make run).")
    fields = {
        "kind": kind,
        "target_type": target._meta.model_name if target is not None else target_type,
        "target_id": str(target.pk) if target is not None else "",
        "target_name": str(target) if target is not None else target_name,
        "user": user if user is not None and user.is_authenticated else None,
        "host_id": _host_id(target, host),
        "params": params or {},
        "via": _via(user),
    }
    try:
        with transaction.atomic():
            op = Operation.objects.create(**fields)
    except IntegrityError:
        raise Busy(busy_message(fields["target_type"], fields["target_id"], fields["target_name"])) from None
    transaction.on_commit(lambda: _enqueue(op))
    return op


def _via(user) -> str:
    """ "API token '<name>'" when the user came through the API with a token (api.authentication)."""
    token = getattr(user, "api_token", None)
    return f"API token {token.name!r}" if token is not None else ""


def busy_message(target_type: str, target_id: str, target_name: str) -> str:
    pending = active_operation(target_type, target_id)
    doing = "another operation runs"
    if pending is not None:
        doing = f"{label_for(pending.kind)} is {pending.get_status_display().lower()}"
    return f"Busy: {doing} on {target_name}. Try again when it has finished."


def active_operation(target_type: str, target_id: str) -> Operation | None:
    """The operation queued or running on the target, if any."""
    return (
        Operation.objects.filter(target_type=target_type, target_id=target_id, status__in=ACTIVE)
        .order_by("created")
        .first()
    )


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
    """Queue the committed operation; when the queue cannot take it, the operation fails at once
    (it would otherwise wait for ever, holding its target)."""
    timeout = HANDLERS[op.kind].timeout + ENQUEUE_MARGIN
    try:
        queue_named(HANDLERS[op.kind].queue).enqueue(
            "jobs.runner.run_operation", op.pk, job_id=f"operation-{op.pk}", job_timeout=timeout
        )
    except RedisError as error:
        log.error("operation %s could not be queued: %s", op.pk, error)
        finish(op.pk, OperationStatus.FAILED, message="Not queued",
               error=f"The job queue (Redis) did not take it: {str(error).rstrip('.')}. Nothing was done.")  # fmt: skip
        return
    broadcast("operation", op.as_event())


def finish(op_id: int, status: str, *, only_if=ACTIVE, announce: bool = True, **fields) -> bool:
    """End the operation (when it is still in one of `only_if`): record the outcome, then (unless
    `announce` is False: call announce() once the record is complete) tell the listeners (the audit
    log) and the open pages. Returns whether it was this call that ended it."""
    ended = Operation.objects.filter(pk=op_id, status__in=only_if).update(
        status=status, finished=timezone.now(), **fields
    )
    if ended and announce:
        announce_finished(op_id)
    return bool(ended)


def announce_finished(op_id: int) -> None:
    for receiver, result in operation_finished.send_robust(sender=Operation, operation_id=op_id):
        if isinstance(result, Exception):
            log.error("%s failed on operation %s", receiver, op_id, exc_info=result)
    broadcast("operation", Operation.objects.get(pk=op_id).as_event())


def cancel(op: Operation, *, user) -> None:
    """Cancel a queued operation: it will never run (the worker skips it)."""
    who = user.get_username() if user is not None else "the console"
    if not finish(op.pk, OperationStatus.CANCELLED, only_if=(OperationStatus.QUEUED,),
                  message=f"Cancelled by {who}", error="It never ran.", params={}):  # fmt: skip
        raise NotStoppable(f"{op.label} on {op.target_name} is not queued any more: it cannot be cancelled.")
    never_ran(op)
    try:
        job = queue_named(HANDLERS[op.kind].queue).fetch_job(f"operation-{op.pk}")
        if job is not None:
            job.cancel()
    except RedisError as error:  # the worker skips it anyway: it is not queued any more
        log.warning("cancelled operation %s stays in the queue: %s", op.pk, error)


def never_ran(op: Operation) -> None:
    """Let the kind put right what was prepared for an operation that ended without running."""
    handler = HANDLERS.get(op.kind)
    if handler is not None and handler.not_run is not None:
        try:
            handler.not_run(op)
        except Exception:  # noqa: BLE001  (the operation has ended either way)
            log.exception("putting right what operation %s left failed", op.pk)


def request_stop(op: Operation, *, user) -> None:
    """Ask a running operation of a stoppable kind to abort: its worker stops it within a second."""
    handler = HANDLERS.get(op.kind)
    if handler is None or not handler.stoppable:
        raise NotStoppable(f"{op.label} cannot be stopped safely once it runs: wait for it to finish.")
    asked = Operation.objects.filter(pk=op.pk, status=OperationStatus.RUNNING, stop_requested__isnull=True).update(
        stop_requested=timezone.now(), stop_requested_by=user, message="Aborting…"
    )
    if not asked:
        raise NotStoppable(f"{op.label} on {op.target_name} is not running (or is already being aborted).")
    broadcast("operation", Operation.objects.get(pk=op.pk).as_event())
