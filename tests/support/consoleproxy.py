"""`manage.py consoleproxy` in its own process on the test database and Redis, for tests."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.support.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def database_url(db: dict) -> str:
    """The test database as a DATABASE_URL for another process."""
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = f"{quote(db['USER'] or '')}:{quote(db['PASSWORD'] or '')}@"
    return f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class ProxyProcess:
    """`manage.py consoleproxy` on a free loopback port; its log (stdout + stderr) in a file."""

    def __init__(self, log_path: Path, *, origins: str, heartbeat: float = 30, **settings_env: str):
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}/"
        self.log_path = log_path
        self.env = (
            os.environ
            | {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": database_url(connection.settings_dict),
                "REDIS_URL": settings.REDIS_URL,
                "SECRET_KEY": settings.SECRET_KEY,
                "CONSOLE_ALLOWED_ORIGINS": origins,
                "CONSOLE_PROXY_HEARTBEAT": str(heartbeat),
                "LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
            }
            | settings_env
        )

    def start(self) -> "ProxyProcess":
        command = [sys.executable, "manage.py", "consoleproxy", "--host", "127.0.0.1", "--port", str(self.port)]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"the console proxy did not start:\n{self.log()}")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def mark(self) -> int:
        return len(self.log())

    def wait_log(self, since: int, text: str, *, timeout: float = 10) -> str:
        """The log from `since` on, once it contains `text`."""
        deadline = time.monotonic() + timeout
        while text not in (tail := self.log()[since:]):
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not logged by the proxy within {timeout} s:\n{tail}")
            time.sleep(0.05)
        return tail
