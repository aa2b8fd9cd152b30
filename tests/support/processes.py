"""The console's own processes (`manage.py rqworker`, `monitor`) as real processes on the test
database, Redis and storage pools, for tests that kill them or make them lose what they rely on."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import django_rq
import redis
from django.conf import settings
from django.db import connection
from rq import Worker

from tests.support.consoleproxy import database_url
from tests.support.live_server import free_port
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def process_env(**extra: str) -> dict:
    """What a process of the console needs to work on this test's database, Redis and pools."""
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "TEST_REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "IMAGE_POOL_NAME": settings.IMAGE_POOL_NAME,
        "IMAGE_POOL_PATH": settings.IMAGE_POOL_PATH,
        "INSTANCE_POOL_NAME": settings.INSTANCE_POOL_NAME,
        "INSTANCE_POOL_PATH": settings.INSTANCE_POOL_PATH,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def manage(env: dict, *args: str) -> None:
    """`manage.py <args>` run to its end with `env` (e.g. migrate a private database)."""
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


class ManagedProcess:
    """`manage.py <args>` in a process of its own; its output in `log_path`."""

    def __init__(self, *args: str, log_path: Path, env: dict | None = None):
        self.args, self.log_path, self.env = args, log_path, env or process_env()
        self.process: subprocess.Popen | None = None

    def start(self) -> "ManagedProcess":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", *self.args], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """As a crash or the OOM killer would: SIGKILL, nothing cleaned up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class WorkerProcess(ManagedProcess):
    """A real rq worker process (as in the Procfile), started once it has registered in Redis."""

    def __init__(self, log_path: Path, *, env: dict | None = None, redis_url: str = ""):
        self.redis_url = redis_url
        super().__init__("rqworker", "default", "bulk", "--worker-class", "jobs.worker.Worker", "--worker-ttl", "30",
                         log_path=log_path, env=env)  # fmt: skip

    def start(self) -> "WorkerProcess":
        super().start()
        connection = redis.Redis.from_url(self.redis_url) if self.redis_url else django_rq.get_connection("default")
        wait_until(lambda: any(worker.pid == self.pid for worker in Worker.all(connection=connection))
                   or self.process.poll() is not None, timeout=30, what="the worker registering")  # fmt: skip
        assert self.process.poll() is None, f"the worker exited:\n{self.log()}"
        return self


def stop_thread_worker(worker) -> None:
    """Stop the rq_worker fixture's thread worker (its teardown then finds it stopped): from here on
    only real worker processes take jobs."""
    worker._stop_requested = True
    connection = django_rq.get_connection("default")
    wait_until(lambda: worker.name not in {w.name for w in Worker.all(connection=connection)}, timeout=15,
               what="the thread worker stopping")  # fmt: skip


class RedisServer:
    """A private redis-server on a free loopback port, with an append-only file (its data survives
    a restart, as with the Redis `make run` starts): for tests that stop and restart Redis."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = folder
        self.process: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                   "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder)]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_until(self.answers, timeout=15, what=f"redis-server on port {self.port}")
        return self

    def answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_timeout=1).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


class WebProcess(ManagedProcess):
    """The web process (uvicorn, as in the Procfile) on a free loopback port."""

    def __init__(self, log_path: Path, *, env: dict | None = None):
        super().__init__(log_path=log_path, env=env)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> "WebProcess":
        command = [str(ROOT / ".venv/bin/uvicorn"), "config.asgi:application", "--host", "127.0.0.1",
                   "--port", str(self.port), "--no-access-log", "--lifespan", "off"]  # fmt: skip
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._listening, timeout=30, what=lambda: f"the web process listening:\n{self.log()}")
        return self

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            assert self.process.poll() is None, f"the web process exited:\n{self.log()}"
            return False
