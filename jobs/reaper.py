"""The reaper: operations whose worker died, or whose job the queue lost, are failed with a clear
message, and the app owning the target puts it right (frees it, re-reads it from its host, removes
a half-built instance). One reaper is active across the fleet at a time (a Redis lock); the
monitor runs it every REAP_EVERY seconds.

An operation is given up when its heartbeat (jobs.heartbeat, every few seconds while it runs) is
older than OPERATION_STALE_AFTER (a setting), or when it has been queued for QUEUED_GRACE and the queue holds no job for
it. So no target stays busy for longer than about OPERATION_STALE_AFTER + REAP_EVERY after its
worker died."""

import logging
from collections.abc import Callable
from datetime import timedelta

import django_rq
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from redis.exceptions import RedisError
from rq.job import Job, JobStatus

from jobs.models import Operation, OperationStatus
from jobs.services import QUEUE, announce_finished, finish, never_ran

log = logging.getLogger(__name__)
QUEUED_GRACE = 30  # seconds a queued operation may lack its job (between commit and enqueue)
REAP_EVERY = 10  # seconds between two passes (the monitor's pace)
LOCK_KEY = "lvc:reaper"

Recovery = Callable[[Operation], str]
RECOVERIES: dict[str, Recovery] = {}


def register_recovery(target_type: str, recover: Recovery) -> None:
    """`recover(op)` puts the target of a reaped operation right and returns what it found
    ("state re-read from the host: running"); apps register theirs in AppConfig.ready()."""
    RECOVERIES[target_type] = recover


def reap_once() -> list[int]:
    """One pass, when no other reaper holds the lock. Returns the ids of the operations it failed."""
    try:
        lock = django_rq.get_connection(QUEUE).lock(LOCK_KEY, timeout=REAP_EVERY * 3)
        if not lock.acquire(blocking=False):
            return []
    except RedisError as error:
        log.warning("reaper: Redis does not answer (%s); running operations are looked at later", error)
        return []
    try:
        return reap()
    finally:
        try:
            lock.release()
        except RedisError:
            pass  # it expires


def reap() -> list[int]:
    now = timezone.now()
    before = now - timedelta(seconds=settings.OPERATION_STALE_AFTER)
    stale = Q(heartbeat__lt=before) | Q(heartbeat__isnull=True, started__lt=before)
    reaped = []
    for op in Operation.objects.filter(Q(status=OperationStatus.RUNNING) & stale):
        if _give_up(op, OperationStatus.RUNNING, "Worker lost", "The worker running this stopped"):
            reaped.append(op.pk)
    old = Operation.objects.filter(status=OperationStatus.QUEUED, created__lt=now - timedelta(seconds=QUEUED_GRACE))
    lost = "The job queue lost it (Redis restarted without its data?); it never ran"
    for op in old:
        if _lost_from_queue(op) and finish(op.pk, OperationStatus.FAILED, only_if=(OperationStatus.QUEUED,),
                                           message="Lost", error=f"{lost}.", params={}):  # fmt: skip
            never_ran(op)
            reaped.append(op.pk)
    return reaped


def _lost_from_queue(op: Operation) -> bool:
    connection = django_rq.get_connection(QUEUE)
    try:
        job = Job.fetch(f"operation-{op.pk}", connection=connection)
    except Exception:  # noqa: BLE001  (rq raises NoSuchJobError, or fails to read a broken job)
        return True
    return job.get_status(refresh=True) in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, None)


def _give_up(op: Operation, status: str, message: str, why: str) -> bool:
    """Fail the running operation (if nobody finished it meanwhile), let its target's app put it
    right, then tell the audit log and the pages the whole story."""
    if not finish(op.pk, OperationStatus.FAILED, only_if=(status,), announce=False, message=message,
                  error=f"{why}; putting its target right.", params={}):  # fmt: skip
        return False
    recover = RECOVERIES.get(op.target_type)
    found = ""
    if recover is not None:
        try:
            found = f"; {recover(op)}"
        except Exception as error:  # noqa: BLE001  (the operation is failed either way; say so)
            log.exception("reaper: recovering the target of operation %s failed", op.pk)
            found = f"; the target could not be re-read ({error})"
    Operation.objects.filter(pk=op.pk).update(error=f"{why}{found}."[:2000])
    announce_finished(op.pk)
    return True
