"""A running operation's heartbeat: a thread beside the job that shows the worker is alive, passes
an abort request (or the kind's time limit) on to the job, and keeps what the job holds (an
instance's lock) alive exactly as long as the job. The reaper (jobs.reaper) fails operations
whose heartbeat stopped: their worker died."""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection
from django.utils import timezone

from jobs.models import Operation, OperationStatus
from virt.stopping import StopSignal, stoppable

log = logging.getLogger(__name__)
BEAT_EVERY = 5.0  # seconds between heartbeats (and lock extensions)
STOP_POLL = 0.5  # seconds between looks for an abort request: waits stop within about a second
_local = threading.local()


class Heartbeat:
    """Started by the runner for one operation; `signal` is what the job's waits and copies watch."""

    def __init__(self, op_id: int, *, timeout: float, stoppable: bool):
        self.op_id = op_id
        self.signal = StopSignal()
        self.reason = ""  # why the job was stopped: "requested" or "timeout"
        self._timeout = timeout
        self._stoppable = stoppable
        self._done = threading.Event()
        self._keepers: list[Callable[[], None]] = []
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{op_id}", daemon=True)

    def __enter__(self) -> "Heartbeat":
        _local.beat = self
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        _local.beat = None
        self._done.set()
        self._thread.join(5)

    def keep(self, keeper: Callable[[], None]) -> Callable[[], None]:
        """Call `keeper()` at every beat while the job runs (e.g. extend a lock); returns a remover."""
        self._keepers.append(keeper)
        return lambda: self._keepers.remove(keeper) if keeper in self._keepers else None

    def _run(self) -> None:
        deadline = time.monotonic() + self._timeout
        next_beat = 0.0
        try:
            while not self._done.wait(STOP_POLL):
                if not self.signal.is_set():
                    self._look_for_stop(deadline)
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + BEAT_EVERY
                    self._beat()
        finally:
            connection.close()

    def _look_for_stop(self, deadline: float) -> None:
        try:
            asked = Operation.objects.filter(pk=self.op_id, stop_requested__isnull=False).exists()
        except Exception:  # noqa: BLE001  (the database may be away for a moment: look again)
            log.warning("operation %s: could not look for an abort request", self.op_id, exc_info=True)
            connection.close()
            return
        if asked:
            self.reason = "requested"
            self.signal.stop()
        elif self._stoppable and time.monotonic() >= deadline:
            self.reason = "timeout"
            self.signal.stop()

    def _beat(self) -> None:
        try:
            Operation.objects.filter(pk=self.op_id, status=OperationStatus.RUNNING).update(heartbeat=timezone.now())
        except Exception:  # noqa: BLE001
            log.warning("operation %s: heartbeat not recorded", self.op_id, exc_info=True)
            connection.close()
        for keeper in list(self._keepers):
            try:
                keeper()
            except Exception:  # noqa: BLE001  (e.g. Redis away: the lock expires on its own)
                log.warning("operation %s: keeping %s alive failed", self.op_id, keeper, exc_info=True)


def current() -> Heartbeat | None:
    """The heartbeat of the operation running on this thread, if any."""
    return getattr(_local, "beat", None)


@contextmanager
def helping(beat: Heartbeat | None) -> Iterator[None]:
    """Run a helper thread of the job (one of several guests a drain moves at once) as part of it:
    its locks kept alive by the job's heartbeat, its waits and copies stopped with the job."""
    _local.beat = beat
    try:
        if beat is None:
            yield
        else:
            with stoppable(beat.signal):
                yield
    finally:
        _local.beat = None
