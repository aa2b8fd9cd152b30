"""Hosts in Chromium: add one, follow the connection test live, land on its page."""

import pytest
from playwright.sync_api import expect

from hosts.models import Host
from live.broadcast import Outbox
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_add_a_host_and_follow_the_test_to_its_page(page, operator, rq_worker, artifacts):
    log_in(page, "operator", PASSWORD)
    page.goto("/hosts/")
    page.get_by_role("button", name="Add host").click()
    page.get_by_label("Name", exact=True).fill("Lab ü <i>")
    page.get_by_label("libvirt URI").fill("qemu:///system")
    page.get_by_role("button", name="Test and add").click()

    expect(page.get_by_role("heading", name="Save host: Lab ü <i>")).to_be_visible()
    expect(page.locator('[data-field="status"]')).to_have_text("Succeeded", timeout=15_000)
    page.get_by_role("link", name="Open Lab ü <i>").click()

    expect(page.get_by_role("heading", name="Lab ü <i>")).to_contain_text("Up")
    expect(page.locator("dl.facts")).to_contain_text(["Local socket"])
    page.screenshot(path=str(artifacts / "host-detail.png"), full_page=True)
    assert Host.objects.get().hypervisor.startswith("QEMU")


def test_a_failed_test_is_shown_and_nothing_is_added(page, operator, rq_worker):
    log_in(page, "operator", PASSWORD)
    page.goto("/hosts/add/")
    page.get_by_label("Name", exact=True).fill("nowhere")
    page.get_by_label("libvirt URI").fill("qemu+tcp://127.0.0.1:1/system")
    page.get_by_role("button", name="Test and add").click()

    expect(page.locator('[data-field="status"]')).to_have_text("Failed")
    expect(page.get_by_role("alert")).to_contain_text("Connection refused")
    assert not Host.objects.exists()


def test_form_errors_are_shown_next_to_the_field(page, operator, rq_worker):
    log_in(page, "operator", PASSWORD)
    page.goto("/hosts/add/")
    page.get_by_label("Name", exact=True).fill("x")
    page.get_by_label("libvirt URI").fill("xen:///")
    page.get_by_role("button", name="Test and add").click()
    expect(page.get_by_role("alert")).to_contain_text("Unknown hypervisor driver 'xen'")


def test_changes_sent_in_one_batch_all_show_on_the_open_list(page, admin_user):
    """A monitor sends a host's changes together (live.broadcast.Outbox); the page applies each."""
    first, second = (Host.objects.create(name=name, uri=f"test:///{name}") for name in ("first", "second"))
    log_in(page, "admin", PASSWORD)
    page.goto("/hosts/")
    expect(page.locator(f'[data-host-id="{second.pk}"] [data-field="status"]')).to_have_text("Unknown")
    expect(page.locator("#live-status")).to_have_text("live")

    outbox = Outbox()
    outbox.add(0, "host", {"id": first.pk, "status": "down", "status_label": "Down", "last_error": "gone"})
    outbox.add(0, "host", {"id": second.pk, "status": "up", "status_label": "Up", "last_error": ""})
    assert outbox.flush() == 1

    expect(page.locator(f'[data-host-id="{first.pk}"] [data-field="status"]')).to_have_text("Down")
    expect(page.locator(f'[data-host-id="{second.pk}"] [data-field="status"]')).to_have_text("Up")
