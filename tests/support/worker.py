"""A real rq SimpleWorker on the real Redis, running in a thread of the test process."""

import threading
import time

from django.db import connections
from rq import Worker
from rq.suspension import is_suspended, suspend
from rq.timeouts import TimerDeathPenalty
from rq.worker import SimpleWorker

STOP_CHECK = 0.1  # seconds a waiting worker blocks in Redis before it looks whether it should stop


class ThreadWorker(SimpleWorker):
    """SimpleWorker in a thread: signals (handlers, SIGALRM job timeouts) only work in the main thread."""

    death_penalty_class = TimerDeathPenalty

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.held = threading.Event()  # set while it takes no job because the workers are suspended

    def hold(self) -> None:
        """`rq suspend`, then wait until this worker is between jobs and taking none."""
        suspend(self.connection)
        if not self.held.wait(30):
            raise RuntimeError("the rq worker did not stop taking jobs within 30 s")

    def _install_signal_handlers(self):
        pass

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        """Wait for a job in short slices so that a stop request ends the work loop; take none while
        the workers are suspended (`rq suspend`), as a real worker does between jobs."""
        while not self._stop_requested:
            if is_suspended(self.connection):
                self.held.set()
                time.sleep(0.1)
                continue
            self.held.clear()
            result = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time=STOP_CHECK)
            if result is not None:
                return result
        return None


class WorkerThread:
    def __init__(self, *queues):
        """Serving `queues`, the first first (a click before a copy)."""
        self.worker = ThreadWorker(list(queues), connection=queues[0].connection)
        self.thread = threading.Thread(target=self._work, name="rq-worker", daemon=True)

    def _work(self):
        try:
            self.worker.work(burst=False, logging_level="WARNING")
        finally:
            connections.close_all()

    def start(self) -> "WorkerThread":
        self.thread.start()
        deadline = time.monotonic() + 10
        while self.worker.name not in {worker.name for worker in Worker.all(connection=self.worker.connection)}:
            if time.monotonic() > deadline:
                raise RuntimeError("the rq worker did not register in Redis within 10 s")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.worker._stop_requested = True
        self.thread.join(10)
        if self.thread.is_alive():
            raise RuntimeError("the rq worker thread did not stop within 10 s")
