"""The process set of `make run` (scripts/serve.sh: honcho with the Procfile) survives its parts: a
worker, the monitor or the console proxy killed with SIGKILL is started again, the others keep
serving; Ctrl-C stops everything cleanly, open websockets closed politely, exit status 0."""

import contextlib
import json
import os
import pty
import select
import signal
import socket
import subprocess
from pathlib import Path

import django_rq
import pytest
import requests
from django.conf import settings
from django.test import Client
from rq import Worker
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.live_server import free_port
from tests.support.processes import ROOT, process_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def descendants(root: int) -> dict[int, str]:
    """{pid: command line} of every live process below `root` (children, their children...);
    zombies (ended, not yet collected: PID 1 here is no init) do not count."""
    parents, commands = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue
        parents[int(entry.name)] = int(fields[1])
        commands[int(entry.name)] = cmdline
    found, frontier = {}, {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier and pid not in found}
        found.update({pid: commands[pid] for pid in frontier})
    return found


class ProcessSet:
    def __init__(self, tmp_path: Path):
        self.web_port, self.proxy_port = free_port(), free_port()
        self.log_path = tmp_path / "honcho.log"
        env = process_env(WEB_HOST="127.0.0.1", WEB_PORT=str(self.web_port), CONSOLE_PROXY_PORT=str(self.proxy_port),
                          MONITOR_INTERVAL="1")  # fmt: skip
        command = [str(ROOT / "scripts/serve.sh")]
        with open(self.log_path, "wb") as log:
            self.honcho = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def up(self) -> None:
        wait_until(lambda: self.web_answers() and self.proxy_listens() and self.pid_of("manage.py monitor")
                   and self.pid_of("manage.py rqworker") in self.worker_pids(), timeout=60,
                   what=lambda: f"the process set up:\n{self.log()[-3000:]}")  # fmt: skip

    def pid_of(self, needle: str) -> int | None:
        """The pid of the set's python process whose command line has `needle` (not its wrapper)."""
        for pid, cmdline in descendants(self.honcho.pid).items():
            if needle in cmdline and "keep-running" not in cmdline:
                return pid
        return None

    def web_answers(self) -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{self.web_port}/login/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def proxy_listens(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.proxy_port), timeout=1).close()
            return True
        except OSError:
            return False

    def worker_pids(self) -> set[int]:
        return {worker.pid for worker in Worker.all(connection=django_rq.get_connection("default"))}

    def stop(self) -> None:
        if self.honcho.poll() is None:
            os.killpg(self.honcho.pid, signal.SIGTERM)
            try:
                self.honcho.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.honcho.pid, signal.SIGKILL)
                self.honcho.wait()


def started_again(ps: ProcessSet, needle: str, old: int) -> None:
    wait_until(lambda: ps.pid_of(needle) not in (None, old), timeout=30,
               what=lambda: f"{needle} started again:\n{ps.log()[-3000:]}")  # fmt: skip


@pytest.fixture
def process_set(tmp_path):
    started = ProcessSet(tmp_path)
    yield started
    started.stop()


def test_a_killed_worker_monitor_or_proxy_is_started_again_and_the_rest_keeps_serving(process_set):
    ps = process_set
    ps.up()

    for needle in ("manage.py monitor", "manage.py rqworker", "manage.py consoleproxy"):
        old = ps.pid_of(needle)
        os.kill(old, signal.SIGKILL)
        assert ps.web_answers(), f"the web stopped answering when {needle} died"
        started_again(ps, needle, old)
    new_worker = ps.pid_of("manage.py rqworker")
    wait_until(lambda: new_worker in ps.worker_pids(), timeout=30, what="the new worker registering")
    wait_until(ps.proxy_listens, timeout=30, what="the console proxy listening again")
    assert ps.web_answers()
    assert ps.log().count("starting it again") >= 3

    below = set(descendants(ps.honcho.pid))
    ps.stop()
    assert not below & set(descendants(1)), "processes left after stopping the set"


def test_ctrl_c_stops_every_process_cleanly_with_websockets_closed_politely(process_set, admin_user):
    ps = process_set
    ps.up()
    client = Client()
    client.force_login(admin_user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    url = f"ws://127.0.0.1:{ps.web_port}/ws/live/"
    live = connect(url, additional_headers={"Origin": f"http://127.0.0.1:{ps.web_port}", "Cookie": cookie})
    live.send(json.dumps({"since": 0}))
    below = set(descendants(ps.honcho.pid))

    os.killpg(ps.honcho.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends to the foreground group
    assert ps.honcho.wait(30) == 0, ps.log()[-3000:]
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            live.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code in (1001, 1012)  # a close frame, not a drop
    log = ps.log()
    assert "SIGKILL" not in log and "rc=-9" not in log, log[-3000:]  # nobody outlived honcho's grace
    for name in ("web", "worker", "monitor", "consoleproxy"):
        assert f"{name}.1 stopped (rc=0)" in log, log[-3000:]
    assert not below & set(descendants(1)), "processes left after the stop"


def test_ctrl_c_in_a_terminal_reaches_the_processes_alone_and_the_run_exits_0(tmp_path):
    """In a terminal Ctrl-C goes to the foreground process group: serve.sh gives it to honcho's
    own (job control), so make and the script see a normal end, not an interruption."""
    web_port, proxy_port = free_port(), free_port()
    env = process_env(WEB_HOST="127.0.0.1", WEB_PORT=str(web_port), CONSOLE_PROXY_PORT=str(proxy_port))
    pid, terminal = pty.fork()
    if pid == 0:  # the child, on the pseudo-terminal: what `make run` does in a shell
        os.chdir(ROOT)
        os.execve("/usr/bin/make", ["make", "--no-print-directory", "serve"], env)
    seen = bytearray()

    def read_some() -> None:
        if select.select([terminal], [], [], 0.2)[0]:
            with contextlib.suppress(OSError):
                seen.extend(os.read(terminal, 65536))

    def answers() -> bool:
        read_some()
        try:
            return requests.get(f"http://127.0.0.1:{web_port}/login/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    ended = {}

    def over() -> bool:
        read_some()
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            ended["status"] = os.waitstatus_to_exitcode(status)
        return bool(done)

    try:
        wait_until(answers, timeout=60, what=lambda: f"the web answering:\n{seen.decode(errors='replace')}")
        wait_until(lambda: read_some() or b"monitor started" in seen, timeout=30, what="the monitor")
        os.write(terminal, b"\x03")  # Ctrl-C
        wait_until(over, timeout=30, what=lambda: f"the end:\n{seen.decode(errors='replace')[-3000:]}")
    finally:
        if "status" not in ended:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(terminal)
    log = seen.decode(errors="replace")
    assert ended["status"] == 0, log[-3000:]
    assert "SIGKILL" not in log and "rc=-9" not in log and "Error" not in log, log[-3000:]
