"""The rq job function: runs one operation by id, recording status, progress and outcome. A refusal
and every finished operation are sent as signals (jobs.signals: the audit log records them).

While the handler runs, a heartbeat (jobs.heartbeat) shows the worker is alive and passes an abort
request, or the kind's time limit, to the handler's waits and copies (virt.stopping)."""

import logging
import os
import socket

from django.db import close_old_connections
from django.utils import timezone
from rq import get_current_job
from rq.timeouts import JobTimeoutException

from jobs.authority import refusal
from jobs.heartbeat import Heartbeat
from jobs.models import Operation, OperationStatus
from jobs.registry import HANDLERS, OperationFailed
from jobs.services import finish, never_ran
from jobs.signals import operation_refused
from live.broadcast import broadcast
from virt.errors import VirtError
from virt.stopping import Stopped, stoppable

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


def _worker_name() -> str:
    job = get_current_job()
    return (job.worker_name if job is not None and job.worker_name else "") or f"{socket.gethostname()}.{os.getpid()}"


def _run(op_id: int) -> str:
    now = timezone.now()
    claimed = Operation.objects.filter(pk=op_id, status=OperationStatus.QUEUED).update(
        status=OperationStatus.RUNNING, started=now, heartbeat=now, worker=_worker_name(), message="Started"
    )
    if not claimed:
        log.warning("operation %s is not queued any more (cancelled?); not running it", op_id)
        return "skipped"
    _publish(op_id)
    op = Operation.objects.select_related("user").get(pk=op_id)
    refused = refusal(op)
    if refused:
        _send_refused(op, refused)
        # Its input may hold encrypted secrets (passwords, credentials) that nothing will use now.
        finish(op_id, OperationStatus.FAILED, message="Refused", error=f"Not carried out: {refused}.", params={})
        never_ran(op)
        return OperationStatus.FAILED

    def report(progress: int, message: str) -> None:
        Operation.objects.filter(pk=op_id, status=OperationStatus.RUNNING, stop_requested__isnull=True).update(
            progress=max(0, min(100, progress)), message=message[:255]
        )
        _publish(op_id)

    handler = HANDLERS[op.kind]
    with Heartbeat(op_id, timeout=handler.timeout, stoppable=handler.stoppable) as beat:
        try:
            with stoppable(beat.signal):
                result = handler.func(op, report) or {}
        except Stopped as stopped:
            _stopped(op_id, beat.reason, str(stopped), handler.timeout)
        except JobTimeoutException:
            finish(op_id, OperationStatus.FAILED, message="Timed out",
                   error=f"It took longer than its limit of {handler.timeout:g} s and was stopped.")  # fmt: skip
        except (OperationFailed, VirtError) as error:
            finish(op_id, OperationStatus.FAILED, message="Failed", error=str(error))
        except Exception:
            log.exception("operation %s (%s) crashed", op_id, op.kind)
            finish(op_id, OperationStatus.FAILED, message="Failed", error="Internal error: see the worker log.")
        else:
            message = str(result.pop("message", "Done"))[:255]
            finish(op_id, OperationStatus.SUCCEEDED, message=message, result=result, progress=100)
    return Operation.objects.get(pk=op_id).status


def _stopped(op_id: int, reason: str, condition: str, timeout: float) -> None:
    """Record an aborted operation, saying who stopped it and what it left."""
    if reason == "timeout":
        finish(op_id, OperationStatus.FAILED, message="Timed out",
               error=f"It took longer than its limit of {timeout:g} s and was stopped: {condition}")  # fmt: skip
        return
    op = Operation.objects.select_related("stop_requested_by").get(pk=op_id)
    who = op.stop_requested_by.get_username() if op.stop_requested_by else "an admin"
    finish(op_id, OperationStatus.ABORTED, message=f"Aborted by {who}"[:255], error=f"Aborted: {condition}")


def _send_refused(op: Operation, reason: str) -> None:
    """Tell the listeners; one that fails is logged and never fails the operation."""
    for receiver, result in operation_refused.send_robust(sender=Operation, operation=op, reason=reason):
        if isinstance(result, Exception):
            log.error("%s failed on operation %s", receiver, op.pk, exc_info=result)
