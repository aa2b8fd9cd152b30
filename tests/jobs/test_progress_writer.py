"""Progress reports are written beside the job (jobs.progress.ProgressWriter): the job never waits
for them, a burst reaches the pages as its last report, every report is written before the block
ends (before the outcome is recorded), and one that cannot be written never fails the job. Real
database rows, real Redis (the live stream pages read); the writer's publishing is held at a gate
to catch it mid-write, never timed."""

import logging
import os
import threading
from types import SimpleNamespace

import pytest

from hosts.models import Host
from jobs import progress
from jobs.models import Operation, OperationStatus
from jobs.progress import ProgressWriter
from jobs.services import start_operation
from live.broadcast import current_seq, events_since

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 30  # seconds a step may take before the test gives up (a hang, not a slow machine)


@pytest.fixture
def op():
    return Operation.objects.create(kind="host.check", target_type="host", target_id="1", target_name="h",
                                    status=OperationStatus.RUNNING, message="Started")  # fmt: skip


@pytest.fixture
def gate(monkeypatch):
    """The writer's publishing held until `gate.open`; `gate.entered` once it is held there."""
    real = progress.publish
    gate = SimpleNamespace(open=threading.Event(), entered=threading.Event())

    def held(op_id: int) -> None:
        gate.entered.set()
        assert gate.open.wait(WAIT), "the test never opened the gate"
        real(op_id)

    monkeypatch.setattr(progress, "publish", held)
    return gate


def shown(op: Operation, since: int) -> list[tuple[int, str]]:
    """(progress, message) of each event about the operation that pages received after `since`."""
    events, _ = events_since(since)
    return [(e["data"]["progress"], e["data"]["message"]) for e in events if e["data"].get("id") == op.pk]


def test_the_job_goes_on_while_its_report_is_being_written(op, gate):
    since = current_seq()
    with ProgressWriter(op.pk) as report:
        report(10, "Looking the guest up")
        assert gate.entered.wait(WAIT)  # the writer is inside its write, held
        report(30, "Starting the guest")  # returns although the writer is held: the job is not
        gate.open.set()
    op.refresh_from_db()
    assert (op.progress, op.message) == (30, "Starting the guest")
    assert shown(op, since) == [(10, "Looking the guest up"), (30, "Starting the guest")]


def test_reports_made_while_one_is_written_reach_the_pages_as_the_last_of_them(op, gate):
    since = current_seq()
    with ProgressWriter(op.pk) as report:
        report(5, "Starting")
        assert gate.entered.wait(WAIT)
        for percent in (10, 20, 30, 40, 50):
            report(percent, f"Copying {percent} %")
        gate.open.set()
    seen = shown(op, since)
    assert seen[0] == (5, "Starting") and seen[-1] == (50, "Copying 50 %")
    assert len(seen) <= 3, f"each report of the burst was written on its own: {seen}"
    op.refresh_from_db()
    assert (op.progress, op.message) == (50, "Copying 50 %")


def test_leaving_the_block_waits_for_every_report(op, gate):
    left = threading.Event()
    seen_while_held = []

    def watch():
        gate.entered.wait(WAIT)
        seen_while_held.append(left.is_set())
        gate.open.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    with ProgressWriter(op.pk) as report:
        report(95, "Reading the instance again")
    left.set()
    watcher.join(WAIT)
    assert seen_while_held == [False], "the block was left while a report was still being written"
    op.refresh_from_db()
    assert (op.progress, op.message) == (95, "Reading the instance again")


def test_a_report_that_cannot_be_sent_is_logged_and_the_next_one_still_written(op, monkeypatch, caplog):
    real, calls = progress.publish, []

    def failing_once(op_id: int) -> None:
        calls.append(op_id)
        if len(calls) == 1:
            raise RuntimeError("Redis went away")
        real(op_id)

    monkeypatch.setattr(progress, "publish", failing_once)
    with caplog.at_level(logging.WARNING, logger="jobs.progress"), ProgressWriter(op.pk) as report:
        report(10, "First")
    with ProgressWriter(op.pk) as report:
        report(20, "Second")
    assert "progress (10, 'First') not written" in caplog.text and "Redis went away" in caplog.text
    op.refresh_from_db()
    assert (op.progress, op.message) == (20, "Second")


def test_an_aborting_operation_keeps_its_message_against_late_reports(op):
    Operation.objects.filter(pk=op.pk).update(stop_requested="2026-12-04T00:00:00Z", message="Aborting")
    with ProgressWriter(op.pk) as report:
        report(60, "Copying")
    op.refresh_from_db()
    assert (op.progress, op.message) == (0, "Aborting")


def test_a_click_opens_no_new_redis_connection(rq_worker, admin_user, redis_conn):
    """The queue is reached through the process's one Redis client: django_rq.get_queue alone
    connects (and greets Redis) anew on every call, twice a click."""
    rq_worker.hold()  # registered and alive, taking no job: the operations stay queued
    hosts = [Host.objects.create(name=f"h{n}", uri=f"test:///h{n}") for n in range(4)]
    start_operation(kind="host.check", target=hosts[0], user=admin_user)  # the first connects
    before = redis_conn.info("stats")["total_connections_received"]
    for host in hosts[1:]:
        start_operation(kind="host.check", target=host, user=admin_user)
    assert redis_conn.info("stats")["total_connections_received"] == before
    assert Operation.objects.filter(status=OperationStatus.QUEUED).count() == 4


def test_the_writer_runs_kinder_than_the_job(op, monkeypatch):
    """Its writing yields the CPU to the libvirtd and QEMU work the job waits on."""
    real, nice = progress.publish, {}

    def noting(op_id: int) -> None:
        nice["writer"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        real(op_id)

    monkeypatch.setattr(progress, "publish", noting)
    with ProgressWriter(op.pk) as report:
        report(10, "Starting the guest")
    job = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert nice["writer"] == min(19, job + progress.WRITER_NICE) > job
