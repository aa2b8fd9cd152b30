"""An operation's progress: its reports, written beside the job (ProgressWriter), and byte
transfers as reports (transfer_progress)."""

import logging
import queue
import threading
import time

from django.db import connection

from config.threads import lower_priority
from jobs.models import Operation, OperationStatus
from live.broadcast import broadcast

log = logging.getLogger(__name__)
FLUSH_TIMEOUT = 30  # seconds the runner waits for unwritten reports before it records the outcome
GATHER = 0.02  # seconds: reports this close together reach the row and the pages as the last of them
WRITER_NICE = 10  # steps of nice: the writer yields the CPU to the libvirtd and QEMU work of the job


def publish(op_id: int) -> None:
    """Send the operation's row as it is now to the open pages."""
    broadcast("operation", Operation.objects.get(pk=op_id).as_event())


def transfer_progress(report, label: str, *, start: int, end: int):
    """A progress(done, total) callback for `report`: whole percents from `start` to `end`, each
    reported once, with "<label> N of M MiB"."""
    last = {"percent": -1}

    def progress(done: int, total: int) -> None:
        percent = start + ((end - start) * done // total if total else end - start)
        if percent != last["percent"]:
            last["percent"] = percent
            report(percent, f"{label} {done // 1024**2} of {total // 1024**2} MiB")

    return progress


class ProgressWriter:
    """An operation's progress reports (`writer(progress, message)`), written to its row and sent to
    the open pages by a thread beside the job, so that the job goes on at once (a start reaches
    libvirt without first storing and broadcasting its "Starting the guest"). Reports made within
    GATHER of each other are written as the last of them, once: a person cannot read the others,
    and the writing then happens while the job waits on libvirt, not while it prepares the call.
    The thread runs at a lower priority, so that its writing does not slow the libvirt work under
    way. Leaving the block writes what is pending and waits for it, so the outcome is recorded
    after every report; a report that cannot be written is logged, never raised into the job."""

    def __init__(self, op_id: int):
        self.op_id = op_id
        self._pending: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"progress-{op_id}", daemon=True)

    def __enter__(self) -> "ProgressWriter":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._pending.put(None)
        self._thread.join(FLUSH_TIMEOUT)
        if self._thread.is_alive():
            log.warning("operation %s: progress reports still unwritten after %g s", self.op_id, FLUSH_TIMEOUT)

    def __call__(self, progress: int, message: str) -> None:
        self._pending.put((max(0, min(100, progress)), message[:255]))

    def publish(self) -> None:
        """Send the operation's row, as it is when the writer comes to it, to the open pages."""
        self._pending.put(())

    def _run(self) -> None:
        lower_priority(WRITER_NICE)
        try:
            ended = False
            while not ended:
                batch = self._gather()
                ended = batch[-1] is None
                reports = [item for item in batch if item]  # (progress, message); () asks for a publish only
                if reports or () in batch:
                    self._write(reports[-1] if reports else None)
        finally:
            connection.close()

    def _gather(self) -> list:
        """The next report and those that follow it within GATHER (up to the block's end, None)."""
        batch = [self._pending.get()]
        until = time.monotonic() + GATHER
        while batch[-1] is not None and (left := until - time.monotonic()) > 0:
            try:
                batch.append(self._pending.get(timeout=left))
            except queue.Empty:
                break
        return batch

    def _write(self, report: tuple[int, str] | None) -> None:
        try:
            if report is not None:
                progress, message = report
                Operation.objects.filter(
                    pk=self.op_id, status=OperationStatus.RUNNING, stop_requested__isnull=True
                ).update(progress=progress, message=message)
            publish(self.op_id)
        except Exception:  # noqa: BLE001  (the database may be away for a moment: the job goes on)
            log.warning("operation %s: progress %r not written", self.op_id, report, exc_info=True)
            connection.close()
