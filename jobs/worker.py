"""The console's rq worker: rq's SimpleWorker (jobs run in the worker's own process, as the
Procfile starts it) that registers again when Redis lost its registration. Restarted without its
data, Redis would otherwise know no worker, and the console would refuse every operation ("No job
worker is running") until the worker was restarted by hand. rq calls heartbeat() before each wait
for a job and again once Redis answers after an outage."""

from rq.worker import SimpleWorker


class Worker(SimpleWorker):
    def heartbeat(self, timeout: int | None = None, pipeline=None):
        super().heartbeat(timeout, pipeline)
        if pipeline is None and not self.connection.sismember(self.redis_workers_keys, self.key):
            self.log.warning("Worker %s: Redis lost this worker's registration; registering again", self.name)
            self.connection.delete(self.key)  # the heartbeat just wrote a bare record
            self.register_birth()
