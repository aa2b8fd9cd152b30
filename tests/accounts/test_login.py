"""Login, failed login, logout: audited; password guessing throttled per username and per address."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.throttle import throttle_keys
from audit.models import AuditAction, AuditEntry, AuditOutcome
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = reverse("login")
WRONG = "wrong-password-guess-1"


def log_in(client, username, password, address="192.0.2.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_a_login_is_audited_and_lands_on_the_page_asked_for(client, operator):
    response = client.post(LOGIN, {"username": "operator", "password": PASSWORD, "next": reverse("host-list")},
                           REMOTE_ADDR="192.0.2.10")  # fmt: skip

    assert response.status_code == 302 and response["Location"] == reverse("host-list")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.user, entry.client_address) == (
        AuditAction.LOGIN, AuditOutcome.SUCCEEDED, operator, "192.0.2.10")  # fmt: skip


def test_a_failed_login_is_audited_with_the_name_tried_and_never_the_password(client, operator):
    response = log_in(client, "operator", WRONG, address="192.0.2.11")

    assert response.status_code == 200
    assert "Wrong username or password." in response.content.decode()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.username, entry.user) == (
        AuditAction.LOGIN_FAILED, AuditOutcome.FAILED, "operator", None)  # fmt: skip
    assert entry.client_address == "192.0.2.11"
    assert WRONG not in " ".join(str(v) for v in AuditEntry.objects.values_list())


def test_the_name_tried_is_truncated(client):
    log_in(client, "x" * 400, WRONG)
    entry = AuditEntry.objects.get()
    assert entry.action == AuditAction.LOGIN_FAILED and len(entry.username) <= 150


def test_logout_is_audited(client_for, operator):
    client = client_for(operator)
    AuditEntry.objects.all().delete()

    response = client.post(reverse("logout"), REMOTE_ADDR="192.0.2.12")

    assert response.status_code == 302 and response["Location"] == LOGIN
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.user, entry.client_address) == (AuditAction.LOGOUT, operator, "192.0.2.12")


def test_logout_needs_post(client_for, operator):
    assert client_for(operator).get(reverse("logout")).status_code == 405


def test_five_wrong_passwords_then_even_the_right_one_is_refused(client, operator):
    for _ in range(5):
        assert "Wrong username or password." in log_in(client, "operator", WRONG).content.decode()

    with CaptureQueriesContext(connection) as queries:
        response = log_in(client, "operator", PASSWORD)

    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Too many failed logins; try again in 15 minutes." in response.content.decode()
    throttled = AuditEntry.objects.get(outcome=AuditOutcome.REFUSED)
    assert (throttled.action, throttled.username, throttled.detail) == ("login_failed", "operator", "throttled")
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, outcome=AuditOutcome.FAILED).count() == 5
    assert not AuditEntry.objects.filter(action=AuditAction.LOGIN).exists()
    assert not [q for q in queries.captured_queries if "auth_user" in q["sql"]]  # the password was not checked


def test_the_username_is_throttled_from_any_address_and_other_users_still_get_in(client, operator, viewer):
    for index in range(5):
        log_in(client, "Operator", WRONG, address=f"192.0.2.{index}")  # five addresses, one name (any case)

    refused = log_in(client, "operator", PASSWORD, address="198.51.100.1")
    assert "Too many failed logins" in refused.content.decode()

    response = log_in(client, "viewer", PASSWORD, address="198.51.100.2")
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(viewer.pk)


def test_the_address_is_throttled_for_every_username(client, operator, viewer):
    for index in range(5):
        log_in(client, f"guess-{index}", WRONG, address="203.0.113.5")

    assert "Too many failed logins" in log_in(client, "viewer", PASSWORD, address="203.0.113.5").content.decode()
    assert log_in(client, "viewer", PASSWORD, address="203.0.113.6").status_code == 302


def test_the_counters_expire_with_the_window(client, operator, redis_conn, settings):
    settings.LOGIN_FAILURE_WINDOW = 120
    log_in(client, "operator", WRONG, address="192.0.2.77")

    user_key, address_key = throttle_keys("operator", "192.0.2.77")
    assert int(redis_conn.get(user_key)) == 1 and int(redis_conn.get(address_key)) == 1
    assert 110 <= redis_conn.ttl(user_key) <= 120 and 110 <= redis_conn.ttl(address_key) <= 120
    redis_conn.expire(user_key, 61)  # later failures do not push the end of the window
    log_in(client, "operator", WRONG, address="192.0.2.77")
    assert redis_conn.ttl(user_key) <= 61


def test_the_wait_is_rounded_up_to_whole_minutes(client, operator, redis_conn):
    for _ in range(5):
        log_in(client, "operator", WRONG)
    redis_conn.expire(throttle_keys("operator", "192.0.2.1")[0], 61)
    redis_conn.delete(throttle_keys("operator", "192.0.2.1")[1])
    assert "try again in 2 minutes." in log_in(client, "operator", PASSWORD).content.decode()
    redis_conn.expire(throttle_keys("operator", "192.0.2.1")[0], 30)
    assert "try again in 1 minute." in log_in(client, "operator", PASSWORD).content.decode()


def test_a_successful_login_clears_the_username_counter_but_not_the_address_one(client, operator, redis_conn):
    for _ in range(4):
        log_in(client, "operator", WRONG)

    assert log_in(client, "operator", PASSWORD).status_code == 302

    user_key, address_key = throttle_keys("operator", "192.0.2.1")
    assert redis_conn.get(user_key) is None
    assert int(redis_conn.get(address_key)) == 4  # the four wrong ones stay counted for the address


def test_successful_logins_never_count(client, operator, redis_conn):
    for _ in range(20):  # e.g. an office behind one NAT address
        assert log_in(client, "operator", PASSWORD).status_code == 302
    assert redis_conn.keys("lvc:login-*") == []


def test_the_limit_comes_from_the_settings(client, operator, settings):
    settings.LOGIN_MAX_FAILURES = 2
    log_in(client, "operator", WRONG)
    log_in(client, "operator", WRONG)
    assert "Too many failed logins" in log_in(client, "operator", PASSWORD).content.decode()


def test_the_admin_login_goes_through_the_throttled_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"] == f"{LOGIN}?next=/admin/"
    response = client.get("/admin/")
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code in (200, 302)


def test_login_page_shows_no_error_before_a_try(client):
    body = client.get(LOGIN).content.decode()
    assert 'role="alert"' not in body
