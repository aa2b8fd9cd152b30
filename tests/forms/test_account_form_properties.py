"""Bad input, property-based (hypothesis), for the grant, audit filter and login forms: hostile names, huge and
malformed values, unicode, XML metacharacters and missing fields either give readable errors or
data that follows the console's rules. Through the views: never a 500, nothing half-applied."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.grant_forms import GrantForm
from accounts.models import Role
from audit.forms import FIRST_DAY, LAST_DAY, AuditFilterForm
from audit.models import AuditAction, AuditEntry, AuditOutcome
from tests.conftest import PASSWORD
from tests.forms.support import (
    assert_refused_readably,
    counts,
    examples,
    form_errors,
    hostile_text,
    model_choice,
    name_like,
    optional_fields,
    with_real_ids,
)

pytestmark = pytest.mark.django_db


# --- Grants, audit, login --------------------------------------------------------------------------

grant_data = optional_fields(
    role=st.one_of(st.sampled_from(Role.values), hostile_text),
    user=model_choice,
    group=model_choice,
    host=model_choice,
    instance=model_choice,
)
grant_ids = st.fixed_dictionaries({}, optional={"user": st.just("admin"), "group": st.just("group"),
                                                "host": st.just("alpha"), "instance": st.just("instance")})  # fmt: skip


@examples(350)
@given(data=grant_data, ids=grant_ids)
def test_grant_form(world, data, ids):
    form = GrantForm(with_real_ids(data, world, ids))
    if not form.is_valid():
        return assert_refused_readably(form)
    cleaned = form.cleaned_data
    assert bool(cleaned["user"]) != bool(cleaned["group"])
    assert not (cleaned["host"] and cleaned["instance"]) and cleaned["role"] in Role.values


@examples(100)
@given(data=grant_data, ids=grant_ids)
def test_grant_view(admin_client, world, data, ids):
    data = with_real_ids(data, world, ids)
    before = counts()
    response = admin_client.post(reverse("grant-list"), data)
    assert response.status_code in (200, 302)
    if response.status_code == 302:  # saved: exactly one grant more, nothing else
        assert counts() == (before[0], before[1], before[2], before[3] + 1, *before[4:])
        assert GrantForm(data).is_valid()
    else:  # an empty POST too: a submission, its errors shown
        assert form_errors(response) and counts() == before


date_text = st.one_of(
    st.dates().map(str),
    st.sampled_from(
        [
            "9999-12-31",
            "0001-01-01",
            "1899-12-31",
            "1900-01-01",
            "9999-12-30",
            "2024-02-30",
            "2024-13-01",
            "99999-01-01",
            "2024/01/01",
            "01/02/2024",
            "today",
            "-1",
        ]
    ),
    hostile_text,
)
audit_data = optional_fields(
    q=hostile_text, user=hostile_text, object=hostile_text, date_from=date_text, date_to=date_text,
    action=st.one_of(st.sampled_from(AuditAction.values), hostile_text),
    outcome=st.one_of(st.sampled_from(AuditOutcome.values), hostile_text),
    page=st.one_of(st.integers(-5, 10**20).map(str), hostile_text),
)  # fmt: skip


@examples(400)
@given(data=audit_data)
def test_audit_filter_form(world, data):
    form = AuditFilterForm(data)
    if not form.is_valid():
        assert_refused_readably(form)
    list(form.filter(AuditEntry.objects.all())[:5])  # invalid fields are left out; the rest still filters
    for field in ("date_from", "date_to"):
        if form.cleaned_data.get(field):
            assert FIRST_DAY <= form.cleaned_data[field] <= LAST_DAY
    assert form.cleaned_data.get("action", "") in ("", *AuditAction.values)
    assert form.cleaned_data.get("outcome", "") in ("", *AuditOutcome.values)


@examples(120)
@given(data=audit_data)
def test_audit_page(admin_client, data):
    before = counts()
    response = admin_client.get(reverse("audit-list"), data)
    assert response.status_code == 200 and counts() == before


@pytest.mark.parametrize("field", ["date_to", "date_from"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_regression_audit_dates_at_the_ends_of_the_calendar_are_errors_not_a_500(admin_client, field, day):
    """Was: date_to=9999-12-31 overflowed (the day after it) in the filter: a 500 on the audit page."""
    response = admin_client.get(reverse("audit-list"), {field: day})
    assert response.status_code == 200 and "Enter a date between" in form_errors(response)[field][0]


login_data = optional_fields(
    username=st.one_of(st.just("admin"), st.just("ADMIN"), name_like),
    password=st.one_of(st.just(PASSWORD), hostile_text),
)


@examples(120)
@given(data=login_data)
def test_login_view(world, redis_conn, data):
    redis_conn.flushdb()  # each example starts unthrottled (the throttle itself answers with a form error too)
    client = Client()
    before = counts()
    response = client.post(reverse("login"), data)
    assert response.status_code in (200, 302) and counts() == before
    if response.status_code == 302:
        assert data["password"] == PASSWORD and client.session["_auth_user_id"] == str(world["admin"].pk)
    else:
        errors = form_errors(response)
        assert errors and all(re.search(r"[A-Za-z]{3}", m) for messages in errors.values() for m in messages)
        assert "_auth_user_id" not in client.session


def test_login_throttling_answers_hostile_names_with_a_form_error(world):
    client = Client()
    for _ in range(7):
        response = client.post(reverse("login"), {"username": "é\u202e<x>&" * 10, "password": "\x01wrong"})
        assert response.status_code == 200 and form_errors(response)
    assert "Too many failed logins" in str(form_errors(response))
