"""The home page in Chromium: login, live websocket, an operation updating without a reload."""

import threading

import pytest
from playwright.sync_api import expect

from hosts.models import Host
from jobs.models import Operation, OperationStatus
from live.broadcast import broadcast
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def test_host(db):
    return Host.objects.create(name="Embedded test host", uri="test:///default")


def test_login_lands_on_home_and_the_websocket_connects(page, admin_user, test_host):
    log_in(page, "admin", PASSWORD)

    expect(page).to_have_url(page.context.pages[0].url)
    expect(page.get_by_role("heading", name="Fleet")).to_be_visible()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.get_by_role("link", name="Admin")).to_be_visible()
    expect(page.locator(f'[data-host-id="{test_host.pk}"]')).to_contain_text("Embedded test host")


def test_wrong_password_is_refused(page, admin_user):
    log_in(page, "admin", "wrong-password")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page.locator("#live-status")).to_have_count(0)


def test_host_status_pushed_from_the_server_shows_without_reload(page, viewer, test_host):
    log_in(page, "viewer", PASSWORD)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    row = page.locator(f'[data-host-id="{test_host.pk}"]')
    expect(row.locator('[data-field="status"]')).to_have_text("Unknown")

    # From another thread, as the worker and the monitor do (Playwright owns this thread's loop).
    event = {"id": test_host.pk, "status": "down", "status_label": "Down", "last_error": "gone <b>"}
    sender = threading.Thread(target=broadcast, args=("host", event))
    sender.start()
    sender.join()

    expect(row.locator('[data-field="status"]')).to_have_text("Down")
    expect(row.locator('[data-field="last_error"]')).to_have_text("gone <b>")


def test_check_connection_from_the_hosts_page(page, operator, test_host, rq_worker):
    log_in(page, "operator", PASSWORD)
    page.goto("/hosts/")
    row = page.locator(f'[data-host-id="{test_host.pk}"]')
    expect(row.locator('[data-field="status"]')).to_have_text("Unknown")

    row.get_by_role("button", name="Check connection").click()

    expect(page.get_by_role("status")).to_contain_text("Checking the connection to Embedded test host")
    expect(row.locator('[data-field="status"]')).to_have_text("Up")
    op = wait_for_operation(Operation.objects.get().pk)  # the host is up a moment before the job ends
    assert op.status == OperationStatus.SUCCEEDED and op.user == operator


def test_new_operations_appear_on_the_open_operations_page(page, operator, test_host, rq_worker, client_for):
    log_in(page, "operator", PASSWORD)
    page.goto("/operations/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator("[data-live-operations] tbody")).to_contain_text("No operations yet.")

    client_for(operator).post(f"/hosts/{test_host.pk}/check/")

    op = Operation.objects.get()
    row = page.locator(f'[data-operation-id="{op.pk}"]')
    expect(row).to_contain_text("Check connection")
    expect(row.locator('[data-field="status"]')).to_have_text("Succeeded")
