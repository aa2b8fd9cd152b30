"""In Chromium: the pages keep to the Content-Security-Policy (no violation reported, the live
websocket connects), the filter selects submit through the static script, throttled logins are told."""

import uuid

import pytest
from playwright.sync_api import expect

from audit.models import AuditAction, AuditEntry
from hosts.models import Host
from instances.models import Instance
from tests.browser.conftest import log_in, page  # noqa: F401  (the page fixture)
from tests.conftest import PASSWORD
from tests.support.browser import chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    """Chromium for this module only, so that the other audit tests run without Playwright's loop."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def violations(page):  # noqa: F811
    """Messages Chromium logs when the Content-Security-Policy blocks something."""
    seen = []
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None)
    return seen


def test_audit_page_filters_by_choosing_an_action(page, admin_user, violations):  # noqa: F811
    AuditEntry.objects.create(
        action=AuditAction.HOST_REMOVE, username="someone", object_type="host", object_name="old-lab"
    )
    log_in(page, "admin", PASSWORD)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")  # connect-src lets it through

    page.get_by_role("link", name="Audit").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)  # the admin's login and the removal
    page.get_by_label("Action").select_option("host_remove")  # submits without a button press

    page.wait_for_url("**action=host_remove**")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("old-lab")
    assert violations == []


def test_operations_filter_select_submits(page, admin_user, violations):  # noqa: F811
    log_in(page, "admin", PASSWORD)
    page.goto("/operations/")
    page.get_by_label("Status").select_option("failed")
    page.wait_for_url("**status=failed**")
    assert violations == []


def test_throttled_login_is_told(page, admin_user):  # noqa: F811
    for _ in range(5):
        log_in(page, "admin", "wrong-password")
        expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    log_in(page, "admin", PASSWORD)
    expect(page.get_by_role("alert")).to_have_text("Too many failed logins; try again in 15 minutes.")


def test_console_pages_load_their_scripts_without_a_policy_violation(page, admin_user, violations):  # noqa: F811
    """No guest behind them (the tickets fail): this is about the pages' own scripts and styles."""
    host = Host.objects.create(name="lab", uri="test:///default")
    instance = Instance.objects.create(host=host, uuid=uuid.uuid4(), name="web-1",
                                       details={"graphics": [{"type": "vnc"}, {"type": "spice"}]})  # fmt: skip
    log_in(page, "admin", PASSWORD)
    for kind in ("screen/{pk}/vnc", "screen/{pk}/spice", "serial/{pk}", "log/{pk}"):
        page.goto(f"/console/{kind.format(pk=instance.pk)}/")
        page.wait_for_load_state("networkidle")
    assert violations == []
