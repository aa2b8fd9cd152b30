"""audit.services.record and record_denied: keyword-only, truncating, never raising."""

import logging

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import RequestFactory

from audit.models import AuditAction, AuditEntry, AuditOutcome
from audit.services import record, record_denied

pytestmark = pytest.mark.django_db


def test_record_takes_the_object_and_the_request(rf: RequestFactory, operator, test_host):
    request = rf.post("/hosts/1/edit/", REMOTE_ADDR="192.0.2.7")
    request.user = operator

    entry = record(action=AuditAction.HOST_REMOVE, obj=test_host, request=request, detail="gone")

    entry.refresh_from_db()
    assert (entry.user, entry.username, entry.client_address) == (operator, "operator", "192.0.2.7")
    assert (entry.object_type, entry.object_id, entry.object_name) == ("host", str(test_host.pk), test_host.name)
    assert (entry.outcome, entry.detail) == (AuditOutcome.SUCCEEDED, "gone")


def test_record_is_keyword_only():
    with pytest.raises(TypeError):
        record(AuditAction.LOGIN)  # type: ignore[misc]


def test_record_truncates_long_values(admin_user):
    entry = record(action=AuditAction.LOGIN_FAILED, username="u" * 500, object_name="n" * 500, detail="d" * 10_000,
                   client="c" * 200)  # fmt: skip
    entry.refresh_from_db()
    assert (len(entry.username), len(entry.object_name), len(entry.detail), len(entry.client_address)) == (
        150, 255, 2000, 64)  # fmt: skip


def test_anonymous_users_are_recorded_as_nobody(rf):
    request = rf.get("/")
    request.user = AnonymousUser()
    entry = record(action=AuditAction.ACCESS_DENIED, request=request)
    assert entry.user is None and entry.username == ""


def test_a_failed_write_is_logged_never_raised_and_spoils_no_transaction(caplog, admin_user):
    with transaction.atomic():
        with caplog.at_level(logging.WARNING, logger="audit.services"):
            assert record(action="no-such-action") is None  # breaks the check constraint
        assert "could not record the audit entry no-such-action" in caplog.text
        record(action=AuditAction.LOGIN, user=admin_user)  # the transaction still works
    assert list(AuditEntry.objects.values_list("action", flat=True)) == [AuditAction.LOGIN]


def test_record_denied_notes_who_what_and_where(rf, viewer, test_host):
    request = rf.post(f"/hosts/{test_host.pk}/delete/?secret=never-kept", REMOTE_ADDR="198.51.100.1")
    request.user = viewer

    record_denied(request, "delete host", obj=test_host)

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.user) == (AuditAction.ACCESS_DENIED, AuditOutcome.REFUSED, viewer)
    assert entry.detail == f"delete host (POST /hosts/{test_host.pk}/delete/)"
    assert "never-kept" not in entry.detail
    assert (entry.object_type, entry.object_name, entry.client_address) == ("host", test_host.name, "198.51.100.1")
