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
from jobs.progress import ProgressWriter, publish
from jobs.registry import HANDLERS, OperationFailed
from jobs.services import finish, never_ran
from jobs.signals import operation_refused
from virt.errors import VirtError
from virt.stopping import Stopped, stoppable

log = logging.getLogger(__name__)


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
    op = Operation.objects.select_related("user").get(pk=op_id)
    refused = refusal(op)
    if refused:
        publish(op_id)
        _send_refused(op, refused)
        # Its input may hold encrypted secrets (passwords, credentials) that nothing will use now.
        finish(op_id, OperationStatus.FAILED, message="Refused", error=f"Not carried out: {refused}.", params={})
        never_ran(op)
        return OperationStatus.FAILED
    handler = HANDLERS[op.kind]
    with Heartbeat(op_id, timeout=handler.timeout, stoppable=handler.stoppable) as beat:
        with ProgressWriter(op_id) as report:
            report.publish()  # "Started", on the pages while the job goes on
            status, outcome = _carry_out(op, handler, beat, report)
        finish(op_id, status, **outcome)
    return Operation.objects.get(pk=op_id).status


def _carry_out(op: Operation, handler, beat: Heartbeat, report: ProgressWriter) -> tuple[str, dict]:
    """Run the handler: (status, the fields to record) of how it ended."""
    try:
        with stoppable(beat.signal):
            result = handler.func(op, report) or {}
    except Stopped as stopped:
        return _stopped(op.pk, beat.reason, str(stopped), handler.timeout)
    except JobTimeoutException:
        return _failed("Timed out", f"It took longer than its limit of {handler.timeout:g} s and was stopped.")
    except (OperationFailed, VirtError) as error:
        return _failed("Failed", str(error))
    except Exception:
        log.exception("operation %s (%s) crashed", op.pk, op.kind)
        return _failed("Failed", "Internal error: see the worker log.")
    message = str(result.pop("message", "Done"))[:255]
    return OperationStatus.SUCCEEDED, {"message": message, "result": result, "progress": 100}


def _failed(message: str, error: str) -> tuple[str, dict]:
    return OperationStatus.FAILED, {"message": message, "error": error}


def _stopped(op_id: int, reason: str, condition: str, timeout: float) -> tuple[str, dict]:
    """How an aborted operation ended, saying who stopped it and what it left."""
    if reason == "timeout":
        return _failed("Timed out", f"It took longer than its limit of {timeout:g} s and was stopped: {condition}")
    op = Operation.objects.select_related("stop_requested_by").get(pk=op_id)
    who = op.stop_requested_by.get_username() if op.stop_requested_by else "an admin"
    return OperationStatus.ABORTED, {"message": f"Aborted by {who}"[:255], "error": f"Aborted: {condition}"}


def _send_refused(op: Operation, reason: str) -> None:
    """Tell the listeners; one that fails is logged and never fails the operation."""
    for receiver, result in operation_refused.send_robust(sender=Operation, operation=op, reason=reason):
        if isinstance(result, Exception):
            log.error("%s failed on operation %s", receiver, op.pk, exc_info=result)
