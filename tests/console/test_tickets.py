"""Console tickets on the real Redis: random, stored hashed, short-lived, single use, kind-bound."""

import hashlib
import logging
import time

from console import tickets


def issue(kind: str = "vnc", nonce: str = "") -> str:
    return tickets.issue(user_id=7, instance_id=42, kind=kind, nonce=nonce)


def test_issued_ticket_is_taken_once_with_its_user_instance_and_kind():
    token = issue()
    ticket = tickets.take(token, kind="vnc")
    assert (ticket.user_id, ticket.instance_id, ticket.kind) == (7, 42, "vnc")
    assert tickets.take(token, kind="vnc") is None


def test_tickets_issued_together_share_a_password_that_redis_never_holds(redis_conn):
    nonce = tickets.new_nonce()
    first, second, other = issue(nonce=nonce), issue(nonce=nonce), issue()
    stored = b"".join(redis_conn.get(key) for key in redis_conn.keys(tickets.PREFIX + "*"))
    taken = [tickets.take(token, kind="vnc") for token in (first, second, other)]
    assert taken[0].password == taken[1].password != taken[2].password
    assert taken[0].password.encode() not in stored


def test_tokens_are_long_random_and_never_stored(redis_conn):
    tokens = {issue() for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(token) >= 32 for token in tokens)  # 192 bits, url-safe base64
    token = next(iter(tokens))
    stored = {key.decode(): redis_conn.get(key).decode() for key in redis_conn.keys(f"{tickets.PREFIX}*")}
    assert tickets.PREFIX + hashlib.sha256(token.encode()).hexdigest() in stored
    assert not any(token in key or token in value for key, value in stored.items())


def test_ticket_lives_at_most_a_minute(redis_conn):
    token = issue()
    assert 0 < redis_conn.ttl(tickets.PREFIX + hashlib.sha256(token.encode()).hexdigest()) <= 60


def test_expired_ticket_is_refused(monkeypatch, caplog):
    monkeypatch.setattr(tickets, "TICKET_TTL", 1)
    token = issue()
    time.sleep(1.3)
    with caplog.at_level(logging.WARNING, logger="console.tickets"):
        assert tickets.take(token, kind="vnc") is None
    assert "expired" in caplog.text and token not in caplog.text


def test_replayed_ticket_is_refused_and_logged_without_the_token(caplog):
    token = issue()
    tickets.take(token, kind="vnc")
    with caplog.at_level(logging.WARNING, logger="console.tickets"):
        assert tickets.take(token, kind="vnc") is None
    assert "already used" in caplog.text
    assert token not in caplog.text and tickets.mask(token) in caplog.text


def test_ticket_for_another_kind_is_refused_and_used_up(caplog):
    token = issue("vnc")
    with caplog.at_level(logging.WARNING, logger="console.tickets"):
        assert tickets.take(token, kind="spice") is None
    assert "issued for vnc, used for spice" in caplog.text and token not in caplog.text
    assert tickets.take(token, kind="vnc") is None


def test_malformed_tokens_are_refused():
    issue()
    assert tickets.take("", kind="vnc") is None
    assert tickets.take("x" * 500, kind="vnc") is None
    assert tickets.take("not-a-ticket", kind="vnc") is None


def test_mask_keeps_only_a_prefix():
    assert tickets.mask("abcdefghijkl") == "abcd…"
    assert tickets.mask("") == "(none)"
