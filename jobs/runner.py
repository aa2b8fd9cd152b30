"""The rq job function: runs one operation by id, recording status, progress and outcome. A refusal
and every finished operation are sent as signals (jobs.signals: the audit log records them)."""

import logging

from django.db import close_old_connections
from django.utils import timezone

from jobs.authority import refusal
from jobs.models import Operation, OperationStatus
from jobs.registry import HANDLERS, OperationFailed
from jobs.signals import operation_finished, operation_refused
from live.broadcast import broadcast
from virt.errors import VirtError

log = logging.getLogger(__name__)


def _publish(op_id: int) -> None:
    broadcast("operation", Operation.objects.get(pk=op_id).as_event())


def run_operation(op_id: int) -> str:
    """Entry point on the worker. Returns the final status."""
    close_old_connections()
    try:
        return _run(op_id)
    finally:
        close_old_connections()


def _run(op_id: int) -> str:
    claimed = Operation.objects.filter(pk=op_id, status=OperationStatus.QUEUED).update(
        status=OperationStatus.RUNNING, started=timezone.now(), message="Started"
    )
    if not claimed:
        log.warning("operation %s is not queued any more; not running it again", op_id)
        return "skipped"
    _publish(op_id)
    op = Operation.objects.select_related("user").get(pk=op_id)
    refused = refusal(op)
    if refused:
        _send(operation_refused, operation=op, reason=refused)
        # Its input may hold encrypted secrets (passwords, credentials) that nothing will use now.
        _finish(op_id, OperationStatus.FAILED, message="Refused", error=f"Not carried out: {refused}.", params={})
        return OperationStatus.FAILED

    def report(progress: int, message: str) -> None:
        Operation.objects.filter(pk=op_id).update(progress=max(0, min(100, progress)), message=message[:255])
        _publish(op_id)

    try:
        result = HANDLERS[op.kind].func(op, report) or {}
    except (OperationFailed, VirtError) as error:
        _finish(op_id, OperationStatus.FAILED, message="Failed", error=str(error))
    except Exception:
        log.exception("operation %s (%s) crashed", op_id, op.kind)
        _finish(op_id, OperationStatus.FAILED, message="Failed", error="Internal error: see the worker log.")
    else:
        message = str(result.pop("message", "Done"))[:255]
        _finish(op_id, OperationStatus.SUCCEEDED, message=message, result=result, progress=100)
    return Operation.objects.get(pk=op_id).status


def _finish(op_id: int, status: str, **fields) -> None:
    Operation.objects.filter(pk=op_id).update(status=status, finished=timezone.now(), **fields)
    _send(operation_finished, operation_id=op_id)  # the audit entry: user, target, kind, outcome, message
    _publish(op_id)


def _send(signal, **data) -> None:
    """Tell the listeners; one that fails is logged and never fails the operation."""
    for receiver, result in signal.send_robust(sender=Operation, **data):
        if isinstance(result, Exception):
            log.error("%s failed on %s", receiver, data, exc_info=result)
