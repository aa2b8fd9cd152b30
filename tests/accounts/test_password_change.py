"""Password change: Django's views with our pages, login required, audited without the passwords."""

import pytest
from django.urls import reverse

from audit.models import AuditAction, AuditEntry, AuditOutcome
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
CHANGE = reverse("password_change")
NEW = "a-much-better-passphrase-42"


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(CHANGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_page_and_the_nav_link(client_for, viewer):
    client = client_for(viewer)
    body = client.get(CHANGE).content.decode()
    assert "Change password" in body and 'name="old_password"' in body
    assert f'href="{CHANGE}"' in client.get(reverse("home")).content.decode()


def test_changing_the_password_keeps_the_session_and_is_audited(client_for, viewer):
    client = client_for(viewer)
    AuditEntry.objects.all().delete()

    response = client.post(CHANGE, {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
                           REMOTE_ADDR="192.0.2.9")  # fmt: skip

    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    assert "Password changed" in client.get(response["Location"]).content.decode()
    viewer.refresh_from_db()
    assert viewer.check_password(NEW)
    assert client.get(reverse("home")).status_code == 200  # still logged in
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.user, entry.client_address) == (
        AuditAction.PASSWORD_CHANGE, AuditOutcome.SUCCEEDED, viewer, "192.0.2.9")  # fmt: skip
    assert (entry.object_type, entry.object_name) == ("user", "viewer")
    text = " ".join(str(value) for value in AuditEntry.objects.values_list())
    assert PASSWORD not in text and NEW not in text


def test_a_wrong_current_password_changes_nothing_and_is_audited(client_for, viewer):
    client = client_for(viewer)
    AuditEntry.objects.all().delete()

    response = client.post(CHANGE, {"old_password": "guess-guess", "new_password1": NEW, "new_password2": NEW})

    assert response.status_code == 200 and "incorrectly" in response.content.decode()
    viewer.refresh_from_db()
    assert viewer.check_password(PASSWORD)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.detail) == (
        AuditAction.PASSWORD_CHANGE, AuditOutcome.FAILED, "wrong current password")  # fmt: skip
    assert "guess-guess" not in entry.detail


def test_a_weak_new_password_is_refused_and_not_audited(client_for, viewer):
    client = client_for(viewer)
    AuditEntry.objects.all().delete()
    response = client.post(CHANGE, {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"})
    assert response.status_code == 200 and "too common" in response.content.decode()
    assert not AuditEntry.objects.exists()
