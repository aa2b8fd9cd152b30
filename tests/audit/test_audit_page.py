"""The audit page: auditors only, newest first, filters and search, a constant number of queries."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEntry, AuditOutcome

pytestmark = pytest.mark.django_db
LIST = reverse("audit-list")


def entry(*, action=AuditAction.OPERATION, username="operator", object_name="web-1", outcome=AuditOutcome.SUCCEEDED,
          detail="", days_ago=0) -> AuditEntry:  # fmt: skip
    return AuditEntry.objects.create(action=action, username=username, object_type="instance", object_id="1",
                                     object_name=object_name, outcome=outcome, detail=detail,
                                     time=timezone.now() - datetime.timedelta(days=days_ago))  # fmt: skip


def rows(response) -> list[str]:
    """The detail column of the rows shown, in order."""
    return [e.detail for e in response.context["page"].object_list]


@pytest.fixture
def auditor(outsider):
    outsider.user_permissions.add(Permission.objects.get(content_type__app_label="audit", codename="view_auditentry"))
    return outsider


def test_admin_sees_the_page_and_the_nav_link(client_for, admin_user):
    entry(detail="Start <b>& stop</b>")
    response = client_for(admin_user).get(LIST)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Start &lt;b&gt;&amp; stop&lt;/b&gt;" in body and "<b>&" not in body
    assert f'href="{LIST}"' in body


def test_a_user_with_the_view_permission_sees_it(client_for, auditor):
    assert client_for(auditor).get(LIST).status_code == 200


@pytest.mark.parametrize("who", ["viewer", "outsider", "operator"])
def test_others_are_refused_and_see_no_link(client_for, request, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(LIST).status_code == 403
    assert f'href="{LIST}"' not in client.get(reverse("home")).content.decode()


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_only_get(client_for, admin_user):
    assert client_for(admin_user).post(LIST).status_code == 405


@pytest.fixture
def admin_client(client_for, admin_user):
    """Logged in as the admin, the audit log then emptied of that login."""
    client = client_for(admin_user)
    AuditEntry.objects.all().delete()
    return client


def test_newest_first_50_per_page(admin_client):
    for index in range(55):
        entry(detail=f"e{index}")
    first = admin_client.get(LIST)
    assert rows(first)[:2] == ["e54", "e53"] and len(rows(first)) == 50
    second = admin_client.get(LIST, {"page": 2})
    assert rows(second) == ["e4", "e3", "e2", "e1", "e0"]
    assert "Page 2 of 2" in second.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"user": "OPER"}, ["by-operator"]),
        ({"action": "login_failed"}, ["failed-login"]),
        ({"outcome": "refused"}, ["refused"]),
        ({"object": "DB-"}, ["on-db"]),
        ({"q": "needle"}, ["has needle"]),
        ({"q": "db-2"}, ["on-db"]),  # search covers the object name too
        ({"date_from": "2000-01-01", "date_to": "2000-01-31"}, []),
        ({"user": "oper", "outcome": "succeeded"}, ["by-operator"]),
    ],
)
def test_filters_and_search(admin_client, params, expected):
    entry(username="operator", detail="by-operator")
    entry(username="viewer", action=AuditAction.LOGIN_FAILED, outcome=AuditOutcome.FAILED, detail="failed-login")
    entry(username="viewer", action=AuditAction.ACCESS_DENIED, outcome=AuditOutcome.REFUSED, detail="refused")
    entry(username="viewer", object_name="db-2", detail="on-db")
    entry(username="viewer", detail="has needle")

    response = admin_client.get(LIST, params)

    assert response.status_code == 200
    assert sorted(rows(response)) == sorted(expected)
    assert "Clear filters" in response.content.decode()


def test_date_range_includes_the_whole_last_day(admin_client):
    entry(detail="today")
    entry(detail="last week", days_ago=7)
    entry(detail="last month", days_ago=31)
    today = timezone.localdate()
    client = admin_client

    assert rows(client.get(LIST, {"date_to": str(today)}))[:1] == ["today"]
    week = {"date_from": str(today - datetime.timedelta(days=8)), "date_to": str(today - datetime.timedelta(days=6))}
    assert rows(client.get(LIST, week)) == ["last week"]
    assert rows(client.get(LIST, {"date_from": str(today - datetime.timedelta(days=8))}))[-1] == "last week"


def test_a_bad_filter_value_is_reported_and_ignored(admin_client):
    entry(detail="shown")
    entry(username="viewer", detail="hidden")
    response = admin_client.get(LIST, {"date_from": "yesterday", "action": "nonsense", "user": "oper"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid date" in body and "Select a valid choice" in body
    assert rows(response) == ["shown"]  # the valid user filter still applies


def test_queries_stay_constant(client_for, auditor):
    client = client_for(auditor)
    client.get(LIST)  # sessions and permissions warmed up alike for both counts
    entry(detail="one")
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST, {"user": "oper"}).status_code == 200
    for index in range(60):
        entry(detail=f"many {index}", username=f"operator{index}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST, {"user": "oper"}).status_code == 200
    assert len(many) == len(few) <= 8, [q["sql"] for q in many.captured_queries]


def test_the_admin_lists_entries_read_only(admin_client):
    shown = entry(detail="in the admin")
    assert "web-1" in admin_client.get("/admin/audit/auditentry/").content.decode()
    assert admin_client.get(f"/admin/audit/auditentry/{shown.pk}/change/").status_code == 200
    assert admin_client.get("/admin/audit/auditentry/add/").status_code == 403
    assert admin_client.post(f"/admin/audit/auditentry/{shown.pk}/delete/").status_code == 403
    assert AuditEntry.objects.filter(pk=shown.pk).exists()


def test_a_long_log_is_paged_without_a_full_count(admin_client, monkeypatch):
    """Past CAP rows the pager says "of N+" and counts no further than needed; Next still reaches
    every entry once, and a page past the end shows the last one."""
    monkeypatch.setattr("config.paging.CAP", 60)
    AuditEntry.objects.bulk_create(AuditEntry(action=AuditAction.OPERATION, detail=f"e{n}") for n in range(130))
    seen, labels, page = [], [], 1
    while page:
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(LIST, {"page": page})
        counts = [q["sql"] for q in captured if "COUNT(" in q["sql"]]
        assert len(counts) == 1 and "LIMIT" in counts[0]  # never the whole table
        seen += rows(response)
        labels.append(next(line.strip() for line in response.content.decode().splitlines() if "Page " in line))
        page = response.context["page"].next_page_number() if response.context["page"].has_next() else None
    assert sorted(seen) == sorted(f"e{n}" for n in range(130))
    assert labels == ["<span>Page 1 of 2+</span>", "<span>Page 2 of 3+</span>", "<span>Page 3 of 3</span>"]
    for past_the_end in (99, "9" * 40):
        assert "Page 3 of 3" in admin_client.get(LIST, {"page": past_the_end}).content.decode()
    for not_a_page in ("0", "-1", "x"):
        assert "Page 1 of 2+" in admin_client.get(LIST, {"page": not_a_page}).content.decode()
