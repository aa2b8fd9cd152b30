"""The live-updates websocket over the real server: only logged-in users, only our own origin."""

import json
import time
from contextlib import ExitStack

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from accounts.models import Grant, Role
from hosts.models import Host
from live import consumers
from live.broadcast import Outbox, broadcast, current_seq
from tests.support.live_socket import session_cookie
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _open(server, **headers):
    url = server.url.replace("http://", "ws://") + "/ws/live/"
    return connect(url, additional_headers=headers, open_timeout=5)


def test_logged_in_user_is_greeted(asgi_server, viewer):
    with _open(asgi_server, Origin=asgi_server.url, Cookie=session_cookie(viewer)) as socket:
        assert json.loads(socket.recv(timeout=5)) == {"kind": "hello", "data": {"user": "viewer"}}


def test_anonymous_is_refused(asgi_server):
    with pytest.raises((InvalidStatus, ConnectionClosed)):
        with _open(asgi_server, Origin=asgi_server.url) as socket:
            socket.recv(timeout=5)


def test_foreign_origin_is_refused(asgi_server, viewer):
    with pytest.raises(InvalidStatus):
        with _open(asgi_server, Origin="http://evil.example", Cookie=session_cookie(viewer)):
            pass


def test_a_page_gets_the_events_it_missed_since_it_was_rendered(asgi_server, viewer):
    rendered_at = current_seq()
    broadcast("host", {"id": 1, "status": "down"})
    broadcast("host", {"id": 1, "status": "up"})

    with _open(asgi_server, Origin=asgi_server.url, Cookie=session_cookie(viewer)) as socket:
        assert json.loads(socket.recv(timeout=5))["kind"] == "hello"
        socket.send(json.dumps({"since": rendered_at}))
        replayed = [json.loads(socket.recv(timeout=5)) for _ in range(2)]
        broadcast("host", {"id": 1, "status": "unknown"})
        live = json.loads(socket.recv(timeout=5))

    assert [(event["seq"], event["data"]["status"]) for event in replayed] == [
        (rendered_at + 1, "down"),
        (rendered_at + 2, "up"),
    ]
    assert (live["seq"], live["data"]["status"]) == (rendered_at + 3, "unknown")


def test_a_page_too_far_behind_is_told_to_reload(asgi_server, viewer, monkeypatch):
    monkeypatch.setattr("live.broadcast.KEEP", 2)
    for status in ["a", "b", "c", "d"]:
        broadcast("host", {"id": 1, "status": status})

    with _open(asgi_server, Origin=asgi_server.url, Cookie=session_cookie(viewer)) as socket:
        socket.recv(timeout=5)
        socket.send(json.dumps({"since": 0}))
        assert json.loads(socket.recv(timeout=5)) == {"kind": "stale", "data": {}}


def test_events_sent_before_the_page_caught_up_arrive_after_the_replay_in_order(asgi_server, viewer):
    rendered_at = current_seq()
    broadcast("operation", {"id": 7, "status": "running"})
    with _open(asgi_server, Origin=asgi_server.url, Cookie=session_cookie(viewer)) as socket:
        assert json.loads(socket.recv(timeout=5))["kind"] == "hello"
        broadcast("operation", {"id": 7, "status": "failed"})  # reaches the consumer before "since"
        time.sleep(0.3)
        socket.send(json.dumps({"since": rendered_at}))
        received = [json.loads(socket.recv(timeout=5)) for _ in range(2)]
        with pytest.raises(TimeoutError):
            socket.recv(timeout=0.5)  # and nothing twice

    assert [event["data"]["status"] for event in received] == ["running", "failed"]


def test_a_page_only_hears_about_what_its_user_may_see(asgi_server, ungranted_operator):
    """An operator granted host 7 only: events about host 8 (and its instances and operations) and
    unknown kinds never reach their pages; a new grant is applied at once."""
    granted = Host.objects.create(name="h7", uri="test:///default").pk
    Grant.objects.create(user=ungranted_operator, role=Role.OPERATOR, host_id=granted)
    other = Host.objects.create(name="h8", uri="test:///default?8").pk
    with _open(asgi_server, Origin=asgi_server.url, Cookie=session_cookie(ungranted_operator)) as socket:
        assert json.loads(socket.recv(timeout=5))["kind"] == "hello"
        socket.send(json.dumps({"since": current_seq()}))
        broadcast("host", {"id": other, "status": "down"})
        broadcast("instance", {"id": 99, "host_id": other, "state": "running"})
        broadcast("operation", {"id": 5, "host_id": other, "user_id": None, "target_type": "instance", "target_id": 9})
        broadcast("secret-kind", {"id": granted})
        broadcast("host", {"id": granted, "status": "up"})
        received = json.loads(socket.recv(timeout=5))
        assert (received["kind"], received["data"]["id"]) == ("host", granted)

        Grant.objects.create(user=ungranted_operator, role=Role.VIEWER, host_id=other)  # sends "grants"
        assert json.loads(socket.recv(timeout=5))["kind"] == "grants"
        broadcast("host", {"id": other, "status": "up"})
        received = json.loads(socket.recv(timeout=5))
        assert (received["kind"], received["data"]["id"]) == ("host", other)


def test_a_grant_change_is_read_once_for_all_the_pages_of_a_user(asgi_server, ungranted_operator, monkeypatch):
    """Ten open pages of one user (the live server is in this process): the "grants" event a new
    grant sends makes one read of the user's access, and every page follows it."""
    reads, read = [], consumers.filter_for
    monkeypatch.setattr(consumers, "filter_for", lambda user: reads.append(user.pk) or read(user))
    other = Host.objects.create(name="h9", uri="test:///default?9").pk
    cookie = session_cookie(ungranted_operator)
    with ExitStack() as stack:
        pages = [stack.enter_context(_open(asgi_server, Origin=asgi_server.url, Cookie=cookie)) for _ in range(10)]
        for page in pages:
            assert json.loads(page.recv(timeout=5))["kind"] == "hello"
            page.send(json.dumps({"since": current_seq()}))
        assert len(reads) == 10  # each page's own, when it connected
        Grant.objects.create(user=ungranted_operator, role=Role.VIEWER, host_id=other)  # sends "grants"
        broadcast("host", {"id": other, "status": "up"})
        for page in pages:
            assert json.loads(page.recv(timeout=5))["kind"] == "grants"
            received = json.loads(page.recv(timeout=5))
            assert (received["kind"], received["data"]["id"]) == ("host", other)
    assert reads == [ungranted_operator.pk] * 11


def test_a_batch_reaches_a_page_with_only_what_its_user_may_see(asgi_server, ungranted_operator):
    """A monitor sends a host's changes together (live.broadcast.Outbox): newest per thing, in
    order; a page gets the part its user may see, and nothing when that is empty."""
    granted = Host.objects.create(name="h7", uri="test:///default").pk
    Grant.objects.create(user=ungranted_operator, role=Role.OPERATOR, host_id=granted)
    other = Host.objects.create(name="h8", uri="test:///default?8").pk
    outbox = Outbox(every=3600)
    with _open(asgi_server, Origin=asgi_server.url, Cookie=session_cookie(ungranted_operator)) as socket:
        assert json.loads(socket.recv(timeout=5))["kind"] == "hello"
        socket.send(json.dumps({"since": current_seq()}))
        outbox.add(other, "instance", {"id": 99, "host_id": other, "state": "paused"})
        outbox.add(granted, "instance", {"id": 1, "host_id": granted, "state": "paused"})
        assert outbox.flush() == 2  # one message per host
        outbox.add(granted, "instance", {"id": 2, "host_id": granted, "state": "running"})
        outbox.add(granted, "instance", {"id": 1, "host_id": granted, "state": "running"})
        outbox.add(other, "host", {"id": other, "status": "down"})
        assert outbox.flush() == 0, "a host's next message waits its turn"
        assert outbox.flush(everything=True) == 2
        first, second = json.loads(socket.recv(timeout=5)), json.loads(socket.recv(timeout=5))
        with pytest.raises(TimeoutError):
            socket.recv(timeout=0.5)  # nothing about h8, not even an empty batch; nothing twice

    assert (first["kind"], first["data"]["id"], first["data"]["state"]) == ("instance", 1, "paused")
    assert second["kind"] == "batch" and second["seq"] > first["seq"]
    assert [(e["data"]["id"], e["data"]["state"]) for e in second["data"]["events"]] == [(2, "running"), (1, "running")]


def test_many_pages_of_one_process_share_one_reader_of_the_event_stream(asgi_server, viewer, redis_conn):
    """Fifty open pages: one broadcast reaches each, read from Redis once by the process's fan-out
    (one client waiting in XREAD), not through a channel-layer group of fifty members."""
    seq = current_seq()
    with ExitStack() as stack:
        pages = [stack.enter_context(_open(asgi_server, Origin=asgi_server.url, Cookie=session_cookie(viewer)))
                 for _ in range(50)]  # fmt: skip
        for page in pages:
            assert json.loads(page.recv(timeout=5))["kind"] == "hello"
            page.send(json.dumps({"since": seq}))
        host = Host.objects.create(name="h1", uri="test:///default")
        broadcast("host", {"id": host.pk, "status": "down"})
        received = [json.loads(page.recv(timeout=10)) for page in pages]
        db = str(redis_conn.connection_pool.connection_kwargs.get("db", 0))  # (other runs may share the server)
        readers = wait_until(lambda: [c for c in redis_conn.client_list() if c["cmd"] == "xread" and c["db"] == db],
                             timeout=5, what="the fan-out waiting for the next event")  # fmt: skip
    assert {(event["kind"], event["data"]["id"]) for event in received} == {("host", host.pk)}
    assert len({event["seq"] for event in received}) == 1
    assert len(readers) == 1, readers
    assert not redis_conn.keys("asgi:group:live*"), "no channel-layer group for pages"


def test_events_still_arrive_after_redis_lost_its_data(asgi_server, viewer, redis_conn):
    """Redis restarted (here: flushed): the numbers start again, under a new generation, and the
    process's reader follows from the start of the new stream."""
    host = Host.objects.create(name="h1", uri="test:///default")
    with _open(asgi_server, Origin=asgi_server.url, Cookie=session_cookie(viewer)) as socket:
        assert json.loads(socket.recv(timeout=5))["kind"] == "hello"
        socket.send(json.dumps({"since": current_seq()}))
        for _ in range(3):
            broadcast("host", {"id": host.pk, "status": "up"})
        before = [json.loads(socket.recv(timeout=5))["seq"] for _ in range(3)]
        assert before == list(range(before[0], before[0] + 3))
        redis_conn.flushdb()
        broadcast("host", {"id": host.pk, "status": "down"})
        event = json.loads(socket.recv(timeout=10))
    assert (event["seq"], event["data"]["status"]) == (1, "down")
    with _open(asgi_server, Origin=asgi_server.url, Cookie=session_cookie(viewer)) as socket:  # a page from before
        assert json.loads(socket.recv(timeout=5))["kind"] == "hello"
        socket.send(json.dumps({"since": before[-1]}))
        assert json.loads(socket.recv(timeout=5)) == {"kind": "stale", "data": {}}  # it reloads
