"""get_console_output: the serial log of the real guest, fetched through libvirt's storage API,
shown on its page (tail) and downloadable; capped in size; only for who may open consoles."""

import pytest
from django.urls import reverse

from api.models import ApiToken
from jobs.models import Operation
from tests.support.api import call, ran
from tests.support.guest import MARKER
from tests.support.instances import guest_of
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.qemu


@pytest.fixture
def booted(spawn, qemu_conn):
    instance = spawn()
    guest_of(qemu_conn, instance).wait_for_serial(MARKER, timeout=90)
    return instance


def fetch(client, instance) -> Operation:
    response = client.post(reverse("console-log-fetch", args=[instance.pk]))
    assert response.status_code == 302
    op = Operation.objects.filter(kind="instance.console_log").latest("created")
    return wait_for_operation(op.pk)


def test_the_log_page_shows_the_marker_and_the_download_has_it(booted, client_for, operator):
    client = client_for(operator)
    page = client.get(reverse("console-log", args=[booted.pk])).content.decode()
    assert "Fetch the log" in page and MARKER not in page

    op = fetch(client, booted)
    assert op.status == "succeeded", op.error
    page = client.get(reverse("console-log", args=[booted.pk])).content.decode()
    assert MARKER in page and "cut off" not in page

    response = client.get(reverse("console-log-download", args=[booted.pk, op.pk]))
    assert response.status_code == 200
    assert MARKER.encode() in b"".join(response.streaming_content)
    assert f'filename="{booted.name}-console.log"' in response["Content-Disposition"]


def test_the_log_is_capped_at_its_end(booted, client_for, operator, settings):
    settings.CONSOLE_LOG_MAX_BYTES = 1024
    op = fetch(client_for(operator), booted)
    assert op.status == "succeeded", op.error
    assert op.result["bytes"] == 1024 and op.result["truncated"] and op.result["size"] > 1024
    page = client_for(operator).get(reverse("console-log", args=[booted.pk])).content.decode()
    assert "the start is cut off" in page


def test_only_console_users_read_logs(booted, client_for, viewer, operator, outsider):
    op = fetch(client_for(operator), booted)
    for user in (viewer, outsider):
        client = client_for(user)
        assert client.get(reverse("console-log", args=[booted.pk])).status_code == 403
        assert client.post(reverse("console-log-fetch", args=[booted.pk])).status_code == 403
        assert client.get(reverse("console-log-download", args=[booted.pk, op.pk])).status_code == 403
    assert client_for(operator).get(reverse("console-log-fetch", args=[booted.pk])).status_code == 405
    assert client_for(operator).get(reverse("console-log", args=[999999])).status_code == 404


def test_another_users_fetch_is_not_served(booted, client_for, operator, admin_user):
    op = fetch(client_for(operator), booted)
    assert client_for(admin_user).get(reverse("console-log-download", args=[booted.pk, op.pk])).status_code == 404


def test_the_log_through_the_api(booted, client, operator, viewer):
    """Fetched as an operation, then read at the operation's file URL (kept: read again); a token
    of someone who may not open consoles is refused as on the page."""
    _token, secret = ApiToken.issue(user=operator, name="log reader")
    op = ran(client, reverse("api-console-log", args=[booted.pk]), secret)
    url = call(client, "get", reverse("api-operation-detail", args=[op.pk]), secret).json()["file"]
    for _ in range(2):
        fetched = client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert fetched.status_code == 200 and f'filename="{booted.name}-console.log"' in fetched["Content-Disposition"]
        assert MARKER.encode() in b"".join(fetched.streaming_content)
    _other, viewer_secret = ApiToken.issue(user=viewer, name="viewer's")
    refused = call(client, "post", reverse("api-console-log", args=[booted.pk]), viewer_secret)
    assert refused.status_code == 403 and Operation.objects.filter(kind="instance.console_log").count() == 1
