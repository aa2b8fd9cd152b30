"""A claim (jobs.claims: the instance lock and the others) while Redis does not answer: taking one
waits for Redis to come back (up to REDIS_WAIT, then a clear failure: nothing was done), and one
that could not be released is released once Redis answers again (a restarted Redis keeps it).
A private redis-server (its data kept across the restart, as `make run`'s) stopped for real."""

import threading

import pytest
import redis

from jobs import claims
from jobs.claims import claim
from jobs.registry import OperationFailed
from tests.support.processes import RedisServer
from tests.support.waiting import wait_until

KEY = "lvc:test-claim"


@pytest.fixture
def private_redis(tmp_path, monkeypatch):
    server = RedisServer(tmp_path).start()
    client = redis.Redis.from_url(server.url, socket_timeout=2)
    monkeypatch.setattr(claims, "redis_client", lambda: client)
    yield server, client
    server.stop()


def said(caplog, text: str) -> bool:
    return any(text in record.getMessage() for record in list(caplog.records))


def test_a_claim_asked_for_while_redis_restarts_is_taken_once_it_is_back(private_redis, caplog):
    server, client = private_redis
    held, done, failed = threading.Event(), threading.Event(), []

    def job():
        try:
            with claim(KEY, busy="Busy"):
                held.set()
                done.wait(30)
        except Exception as error:  # noqa: BLE001  (reported by the test below)
            failed.append(error)

    server.stop()
    worker = threading.Thread(target=job)
    worker.start()
    wait_until(lambda: said(caplog, f"claim {KEY}: Redis does not answer"), timeout=30, what="a try failing")
    assert not held.is_set()
    server.start()
    wait_until(held.is_set, timeout=30, what=lambda: f"the claim taken ({failed})")
    assert client.exists(KEY)
    done.set()
    worker.join(30)
    assert not failed and not client.exists(KEY)


def test_a_claim_released_while_redis_is_away_is_released_once_it_is_back(private_redis, caplog):
    server, client = private_redis
    taken, left = threading.Event(), threading.Event()

    def job():
        with claim(KEY, busy="Busy"):
            taken.set()
            left.wait(30)

    worker = threading.Thread(target=job)
    worker.start()
    wait_until(taken.is_set, timeout=30, what="the claim taken")
    server.stop()
    left.set()  # the job ends while Redis is away
    wait_until(lambda: said(caplog, f"claim {KEY}: Redis does not answer"), timeout=30, what="a release failing")
    server.start()  # with the claim still in it
    worker.join(30)
    assert not worker.is_alive() and not client.exists(KEY)
    with claim(KEY, busy="Busy"):  # the next job is not refused as busy
        assert client.exists(KEY)


def test_a_claim_redis_does_not_answer_for_fails_clearly(private_redis, monkeypatch):
    server, _ = private_redis
    monkeypatch.setattr(claims, "REDIS_WAIT", 1.0)
    server.stop()
    ran = []
    with pytest.raises(OperationFailed, match=rf"^Redis does not answer \(.+\), so {KEY} could not be claimed\. "
                                              r"Nothing was done\.$"):  # fmt: skip
        with claim(KEY, busy="Busy"):
            ran.append(True)
    assert not ran
