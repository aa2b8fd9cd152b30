"""Login throttling counts failures, not attempts: correct logins at once over the real server all get
in, parallel guesses still stop at the limit, and a guesser cannot reset an address's counter."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.urls import reverse

from accounts import throttle
from accounts.throttle import throttle_keys
from audit.models import AuditAction, AuditEntry, AuditOutcome
from tests.conftest import PASSWORD

LOGIN = reverse("login")
WRONG = "wrong-password-guess-2"


def log_in(client, username, password, address="192.0.2.50"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def over_http(server, username: str, password: str) -> str:
    """One login in its own browser session: 'in', 'wrong', 'throttled' or 'busy'."""
    with requests.Session() as session:
        session.get(server.url + LOGIN, timeout=30)
        form = {"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]}
        response = session.post(server.url + LOGIN, data=form, timeout=30, allow_redirects=False)
    if response.status_code == 302:
        return "in"
    body = response.text
    return next(word for key, word in [("Wrong username", "wrong"), ("Too many failed", "throttled"),
                                       ("Too many logins at once", "busy")] if key in body)  # fmt: skip


def at_once(server, count: int, username: str, password: str) -> list[str]:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: over_http(server, username, password), range(count)))


@pytest.mark.django_db(transaction=True)
def test_correct_logins_at_once_from_one_address_all_get_in(asgi_server, operator, viewer, redis_conn):
    assert at_once(asgi_server, 12, "operator", PASSWORD) == ["in"] * 12
    assert over_http(asgi_server, "viewer", PASSWORD) == "in"  # nobody else from the address is locked out
    assert redis_conn.keys("lvc:login-failures:*") == []


@pytest.mark.django_db(transaction=True)
def test_guesses_at_once_stop_at_the_limit(asgi_server, operator):
    outcomes = at_once(asgi_server, 15, "operator", WRONG)

    assert sorted(outcomes) == ["throttled"] * 10 + ["wrong"] * 5  # never more than five passwords checked
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, outcome=AuditOutcome.FAILED).count() == 5
    assert over_http(asgi_server, "operator", PASSWORD) == "throttled"


@pytest.mark.django_db
def test_logging_into_an_own_account_between_guesses_does_not_reset_the_address(client, operator, viewer):
    for _ in range(4):
        log_in(client, "operator", WRONG)  # the guesses against someone else
        assert log_in(client, "viewer", PASSWORD).status_code == 302  # the guesser's own account
        client.logout()
    log_in(client, "operator", WRONG)

    assert "Too many failed logins" in log_in(client, "viewer", PASSWORD).content.decode()
    assert "Too many failed logins" in log_in(client, "someone", WRONG).content.decode()


@pytest.mark.django_db
def test_the_owner_logging_in_gives_their_name_a_fresh_count_but_the_guessers_address_stays(client, operator):
    for _ in range(4):
        log_in(client, "operator", WRONG, address="203.0.113.9")
    assert log_in(client, "operator", PASSWORD, address="192.0.2.60").status_code == 302  # the owner, elsewhere

    log_in(client, "operator", WRONG, address="203.0.113.9")  # the guesser's fifth
    assert "Too many failed logins" in log_in(client, "operator", WRONG, address="203.0.113.9").content.decode()
    assert log_in(client, "operator", PASSWORD, address="192.0.2.61").status_code == 302


@pytest.mark.django_db
def test_when_every_slot_stays_taken_the_login_is_refused_as_busy_and_nothing_is_counted(
    client, operator, redis_conn, monkeypatch
):
    monkeypatch.setattr(throttle, "SLOT_WAIT", 0.3)
    user_slots = throttle_keys("operator", "192.0.2.50")[0].replace("login-failures", "login-checking")
    far, past = (redis_conn.time()[0] + 600) * 1000, (redis_conn.time()[0] - 1) * 1000
    redis_conn.zadd(user_slots, {f"held-{index}": far for index in range(5)})  # five checks in flight

    response = log_in(client, "operator", PASSWORD)
    assert "Too many logins at once from here; try again in a moment." in response.content.decode()
    assert AuditEntry.objects.get().detail == "busy"
    assert redis_conn.keys("lvc:login-failures:*") == []

    redis_conn.zadd(user_slots, {f"held-{index}": past for index in range(5)})  # their checks crashed: leases over
    assert log_in(client, "operator", PASSWORD).status_code == 302
