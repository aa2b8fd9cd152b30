"""The serial console websocket over the real ASGI server and a real QEMU guest: who may open it,
bytes both ways, reopened after the guest restarts, the newest session takes over, the audit."""

import json
import sys
import threading
import time
import traceback
import uuid

import libvirt
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from accounts.models import Grant
from audit.models import AuditEntry
from console.models import ConsoleSession
from hosts.models import Host
from instances.models import Instance
from instances.services import request_operation
from tests.support.guest import MARKER
from tests.support.instances import guest_of
from tests.support.live_socket import session_cookie
from tests.support.waiting import wait_for_operation, wait_until

PROMPT = "/ # "


class Serial:
    """One websocket to a serial console, collecting what arrives: bytes, statuses, notices, the close."""

    def __init__(self, server, pk: int, user=None, *, takeover: bool = True):
        url = f"{server.url.replace('http://', 'ws://')}/ws/instances/{pk}/serial/{'' if takeover else '?takeover=0'}"
        headers = {"Origin": server.url} | ({"Cookie": session_cookie(user)} if user else {})
        self.socket = connect(url, additional_headers=headers, open_timeout=5)
        self.output = ""
        self.statuses: list[dict] = []
        self.notices: list[str] = []
        self.close_code: int | None = None

    def wait_for(self, done, *, timeout: float = 20, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.close_code is not None:
                raise AssertionError(f"no {what} within {timeout} s: {self.statuses[-3:]}, {self.output[-300:]!r}")
            try:
                frame = self.socket.recv(timeout=remaining)
            except TimeoutError:
                continue
            except ConnectionClosed as closed:
                self.close_code = closed.rcvd.code if closed.rcvd else 1006
                continue
            if isinstance(frame, bytes):
                self.output += frame.decode(errors="replace")
            else:
                message = json.loads(frame)
                (self.statuses if message["type"] == "status" else self.notices).append(message)

    def wait_for_text(self, text: str, *, after: int = 0, timeout: float = 20) -> None:
        self.wait_for(lambda: text in self.output[after:], timeout=timeout, what=repr(text))

    def wait_for_state(self, state: str, *, timeout: float = 20) -> dict:
        self.wait_for(lambda: any(s["state"] == state for s in self.statuses), timeout=timeout, what=state)
        return [s for s in self.statuses if s["state"] == state][-1]

    def wait_for_close(self, *, timeout: float = 10) -> int:
        try:
            self.wait_for(lambda: self.close_code is not None, timeout=timeout, what="close")
        except AssertionError:
            if self.close_code is None:
                raise
        return self.close_code

    def enter_until_closed(self, *, timeout: float = 20) -> int:
        """Press Enter every 2 s until the session is closed; its close code."""
        deadline = time.monotonic() + timeout
        while True:
            self.type("\r")
            try:
                return self.wait_for_close(timeout=min(2.0, deadline - time.monotonic()))
            except AssertionError:
                if time.monotonic() >= deadline:
                    raise

    def type(self, text: str) -> None:
        self.socket.send(text.encode())  # a binary frame, as the page sends keystrokes

    def prompt(self, *, timeout: float = 20) -> None:
        """Press Enter until the shell shows a fresh prompt: keys typed before it reads its terminal are lost."""
        deadline = time.monotonic() + timeout
        while True:
            mark = len(self.output)
            self.type("\r")
            try:
                return self.wait_for_text(PROMPT, after=mark, timeout=min(1.0, deadline - time.monotonic()))
            except AssertionError:
                if self.close_code is not None or time.monotonic() >= deadline:
                    raise

    def run(self, command: str, expect: str, *, timeout: float = 20) -> None:
        """Type `command` at a fresh prompt and wait for `expect` in what follows."""
        self.prompt()
        mark = len(self.output)
        self.type(command + "\r")
        self.wait_for_text(expect, after=mark, timeout=timeout)

    def __enter__(self) -> "Serial":
        self.socket.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.socket.__exit__(*exc)


@pytest.fixture
def booted(spawn, qemu_conn):
    instance = spawn()
    guest_of(qemu_conn, instance).wait_for_serial(MARKER, timeout=90)
    return instance


@pytest.fixture
def bare_instance(transactional_db):
    """An inventory row only: enough for the checks made before any libvirt call."""
    host = Host.objects.create(name="refusals", uri="test:///default")
    return Instance.objects.create(host=host, uuid=uuid.uuid4(), name="refused-guest")


# --- who may open it ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "code"),
    [(None, 4401), ("viewer", 4403), ("outsider", 4403), ("ungranted_operator", 4404)],
    ids=["anonymous", "viewer", "outsider", "operator-without-grant"],
)
def test_who_may_not_open_the_console_is_told_and_closed(asgi_server, bare_instance, request, who, code):
    user = request.getfixturevalue(who) if who else None
    with Serial(asgi_server, bare_instance.pk, user) as serial:
        assert serial.wait_for_close() == code
    assert serial.statuses[-1]["state"] == "closed" and serial.statuses[-1]["code"] == code
    assert not ConsoleSession.objects.exists()


def test_a_missing_instance_is_told_and_closed(asgi_server, bare_instance, operator):
    with Serial(asgi_server, bare_instance.pk + 1000, operator) as serial:
        assert serial.wait_for_close() == 4404
    assert "does not exist" in serial.statuses[-1]["message"]


def test_the_page_is_for_who_may_open_consoles(bare_instance, client, operator, viewer):
    url = reverse("console-serial", args=[bare_instance.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(viewer)
    assert client.get(url).status_code == 403
    client.force_login(operator)
    page = client.get(url)
    assert page.status_code == 200 and f"/ws/instances/{bare_instance.pk}/serial/" in page.content.decode()
    assert client.post(url).status_code == 405
    assert client.get(reverse("console-serial", args=[bare_instance.pk + 1000])).status_code == 404


# --- the real guest ---------------------------------------------------------------------------


@pytest.mark.qemu
def test_output_and_keystrokes_then_reopened_after_the_guest_restarts(asgi_server, booted, operator, qemu_conn):
    with Serial(asgi_server, booted.pk, operator) as serial:
        serial.wait_for_state("connected")
        serial.prompt()
        serial.run("echo serial-$((6*7))", "serial-42")

        domain = qemu_conn.lookupByName(booted.name)
        domain.destroy()
        assert "waiting for it to start" in serial.wait_for_state("stopped", timeout=10)["message"]
        serial.statuses.clear()
        mark = len(serial.output)
        domain.create()
        serial.wait_for_state("connected", timeout=10)
        serial.wait_for_text(MARKER, after=mark, timeout=90)  # the boot, seen through the reopened stream
        serial.prompt()
        serial.run("echo again-$((6*7))", "again-42")

    wait_until(lambda: ConsoleSession.objects.filter(ended__isnull=False).exists(), timeout=5, what="session closed")
    session = ConsoleSession.objects.get()
    assert (session.user, session.instance, session.kind) == (operator, booted, "serial")
    assert session.started < session.ended and session.end_reason.startswith("websocket closed")


@pytest.mark.qemu
def test_a_stopped_guest_is_waited_for_and_a_newer_waiting_session_wins(
    asgi_server, spawn, operator, admin_user, qemu_conn
):
    instance = spawn(start=False)
    with Serial(asgi_server, instance.pk, operator) as first:
        assert "waiting for it to start" in first.wait_for_state("stopped")["message"]
        with Serial(asgi_server, instance.pk, admin_user) as second:
            second.wait_for_state("stopped")
            assert first.wait_for_close() == 4409  # told at once, though neither had the console yet
            assert first.statuses[-1]["message"] == "This console was taken over by admin."

            qemu_conn.lookupByName(instance.name).create()
            second.wait_for_state("connected", timeout=10)
            second.wait_for_text(MARKER, timeout=90)

    wait_until(
        lambda: not ConsoleSession.objects.filter(ended__isnull=True).exists(), timeout=5, what="sessions closed"
    )
    assert ConsoleSession.objects.get(user=operator).end_reason == "taken over by admin"


@pytest.mark.qemu
def test_an_open_console_of_a_deleted_instance_says_so_and_stops_waiting(asgi_server, booted, operator, admin_user):
    with Serial(asgi_server, booted.pk, operator) as serial:
        serial.wait_for_state("connected")
        op = request_operation(instance=booted, kind="instance.delete", user=admin_user)
        assert wait_for_operation(op.pk, timeout=60).status == "succeeded"
        assert serial.wait_for_close(timeout=15) == 4404
    assert serial.statuses[-1]["message"] == f"{booted.name} was deleted: this console has nothing left to show."
    assert ConsoleSession.objects.get().end_reason == "instance deleted"


@pytest.mark.qemu
def test_the_newest_session_takes_over_and_both_sides_are_told(asgi_server, booted, operator, admin_user, qemu_conn):
    with Serial(asgi_server, booted.pk, operator) as first:
        first.wait_for_state("connected")
        first.prompt()
        with Serial(asgi_server, booted.pk, admin_user) as second:
            second.wait_for_state("connected")
            assert first.wait_for_close() == 4409
            assert first.statuses[-1]["message"] == "This console was taken over by admin."
            second.wait_for(lambda: second.notices, what="notice")
            assert second.notices[0]["message"] == "You took this console over from operator."
            second.run("echo second-$((6*7))", "second-42")

            # A page reconnecting by itself does not take the console back: it is refused and told.
            with Serial(asgi_server, booted.pk, operator, takeover=False) as retry:
                assert retry.wait_for_close() == 4423
            assert "Another session holds" in retry.statuses[-1]["message"]
            second.run("echo still-$((6*7))", "still-42")  # the holder was not disturbed

            # Forced open from outside (as `virsh console --force`): told too, not silently taken back.
            # libvirtd does not always tell the stream it drops: keys typed then tell (under load, the
            # first one may still be taken before the daemon has dropped it: Enter until told).
            outside = qemu_conn.newStream(0)
            qemu_conn.lookupByName(booted.name).openConsole(None, outside, libvirt.VIR_DOMAIN_CONSOLE_FORCE)
            try:
                assert second.enter_until_closed() == 4409
            finally:
                outside.abort()
            assert second.statuses[-1]["message"] == "This console was taken over by a client outside this web console."

    wait_until(
        lambda: not ConsoleSession.objects.filter(ended__isnull=True).exists(), timeout=5, what="sessions closed"
    )
    sessions = {s.user.username + ("-retry" if s.end_reason == "refused: busy" else ""): s
                for s in ConsoleSession.objects.all()}  # fmt: skip
    assert set(sessions) == {"operator", "admin", "operator-retry"}
    assert sessions["operator"].end_reason == "taken over by admin"
    assert sessions["admin"].end_reason == "taken over by a client outside this web console"
    assert all(s.kind == "serial" and s.instance == booted and s.ended >= s.started for s in sessions.values())


@pytest.mark.qemu
def test_sessions_opened_and_closed_many_times_leave_no_thread_behind(asgi_server, booted, operator, admin_user):
    """Closed while the guest writes, taken over mid-output, closed right after connecting: every
    session ends, and no thread is left in a stream call or a keystroke writer."""
    for round_ in range(12):
        with Serial(asgi_server, booted.pk, operator) as first:
            first.wait_for_state("connected")
            if round_ % 3 != 2:
                first.type("i=0; while [ $i -lt 100 ]; do echo line-$i; i=$((i+1)); done\r")
                first.wait_for_text("line-")
            if round_ % 3 == 1:
                with Serial(asgi_server, booted.pk, admin_user) as second:  # takes it over mid-output
                    second.wait_for_state("connected")
                    assert first.wait_for_close() == 4409

    def lingering() -> list[str]:
        frames = sys._current_frames()
        found = []
        for thread in threading.enumerate():
            stack = traceback.extract_stack(frames[thread.ident]) if thread.ident in frames else []
            if thread.name.startswith(("serial-writer", "serial-close")) or any(
                frame.filename.endswith("virt/serial.py") for frame in stack
            ):
                found.append(thread.name)
        return found

    open_sessions = ConsoleSession.objects.filter(ended__isnull=True)
    wait_until(lambda: not open_sessions.exists(), timeout=5,
               what=lambda: f"sessions closed (open: {list(open_sessions.values_list('pk', 'user__username'))} "
                            f"of {ConsoleSession.objects.count()})")  # fmt: skip
    wait_until(lambda: not lingering(), timeout=10, what=lambda: f"no serial thread left (still {lingering()})")
    assert ConsoleSession.objects.count() == 16
    with Serial(asgi_server, booted.pk, operator, takeover=False) as last:  # the console is free again
        last.run("echo free-$((6*7))", "free-42")


@pytest.mark.parametrize("withdraw", ["grant", "permission", "account"])
def test_an_open_console_is_closed_when_its_access_is_withdrawn(asgi_server, bare_instance, operator, withdraw):
    with Serial(asgi_server, bare_instance.pk, operator) as serial:
        serial.wait_for_state("stopped")  # open, waiting for the guest (it is not on its host)
        if withdraw == "grant":
            Grant.objects.filter(user=operator).delete()
        elif withdraw == "permission":
            operator.user_permissions.remove(Permission.objects.get(codename="console_instance"))
        else:
            operator.is_active = False
            operator.save()
        assert serial.wait_for_close() == 4403
    assert serial.statuses[-1]["message"] == "Your access to this console was withdrawn."
    assert ConsoleSession.objects.get().end_reason == "access withdrawn"
    assert AuditEntry.objects.filter(action="access_denied", username="operator").count() == 1


def test_a_console_stays_open_when_someone_else_loses_access(asgi_server, bare_instance, operator, viewer):
    with Serial(asgi_server, bare_instance.pk, operator) as serial:
        serial.wait_for_state("stopped")
        Grant.objects.filter(user=viewer).delete()
        time.sleep(1)
        serial.type("x")
        assert serial.close_code is None and ConsoleSession.objects.get().ended is None
