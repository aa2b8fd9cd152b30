"""Instances in Chromium: start one from its page and watch it run; destroy one with libvirt (as
`virsh destroy` would) and watch the open list follow, neither page reloaded."""

import time

import libvirt
import pytest
from django.utils.timezone import localtime
from playwright.sync_api import expect

from hosts.models import Host, HostStatus
from instances.models import Instance
from jobs.models import Operation
from tests.browser.conftest import artifacts, log_in, page  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD
from tests.support.browser import chromium
from tests.support.monitor import running_monitor

pytestmark = [pytest.mark.qemu, pytest.mark.browser]


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def mark_page(tab) -> None:
    """A flag that a reload would lose."""
    tab.evaluate("window.notReloaded = true")


def assert_not_reloaded(tab) -> None:
    assert tab.evaluate("window.notReloaded === true"), "the page was reloaded"


def test_start_from_the_detail_page_and_watch_it_run(page, spawn, admin_user, artifacts):  # noqa: F811
    instance = spawn(start=False)
    log_in(page, "admin", PASSWORD)
    page.goto(f"/instances/{instance.pk}/")
    state = page.locator(f'[data-instance-id="{instance.pk}"] [data-field="state"]').first
    expect(state).to_have_text("Shut off")
    mark_page(page)

    page.get_by_role("button", name="Start", exact=True).click()
    expect(state).to_have_text("Running", timeout=30_000)
    expect(page.get_by_role("button", name="Shut down")).to_be_visible()  # the buttons follow the state
    assert_not_reloaded(page)
    page.screenshot(path=str(artifacts / "instance-detail.png"), full_page=True)


def test_a_guest_destroyed_outside_shows_shut_off_on_the_open_list(page, spawn, qemu_conn):  # noqa: F811
    instance = spawn()
    log_in(page, "admin", PASSWORD)
    with running_monitor(refresh_interval=30):
        host = Host.objects.get(pk=instance.host_id)
        deadline = time.monotonic() + 10
        while Host.objects.get(pk=host.pk).status != HostStatus.UP:
            assert time.monotonic() < deadline, "host not up"
            time.sleep(0.05)
        page.goto("/instances/")
        row = page.locator(f'[data-instance-id="{instance.pk}"]')
        expect(row.locator('[data-field="state"]')).to_have_text("Running")
        mark_page(page)

        qemu_conn.lookupByName(instance.name).destroy()
        started = time.monotonic()
        expect(row.locator('[data-field="state"]')).to_have_text("Shut off", timeout=5_000)
        took = time.monotonic() - started
        assert_not_reloaded(page)
    assert Instance.objects.get(pk=instance.pk).state == "shutoff"
    print(f"out-of-band destroy shown on the open list after {took:.2f} s")  # a figure, not a timed assertion


def test_the_buttons_keep_working_in_place_and_a_second_tab_follows_to_the_deletion(page, spawn, qemu_conn):  # noqa: F811
    """Every second click used to leave the page (the live-refreshed buttons were not htmx's any
    more); a second tab kept showing a deleted instance."""
    instance = spawn()
    log_in(page, "admin", PASSWORD)
    url = f"/instances/{instance.pk}/"
    page.goto(url)
    other = page.context.new_page()
    other.goto(url)
    tabs = (page, other)
    for tab in tabs:
        mark_page(tab)
    states = [tab.locator(f'[data-instance-id="{instance.pk}"] [data-field="state"]').first for tab in tabs]
    domain = qemu_conn.lookupByName(instance.name)
    for button, shown, virsh_state in [("Pause", "Paused", libvirt.VIR_DOMAIN_PAUSED),
                                       ("Unpause", "Running", libvirt.VIR_DOMAIN_RUNNING)] * 2:  # fmt: skip
        page.get_by_role("button", name=button, exact=True).click()
        for state in states:
            expect(state).to_have_text(shown, timeout=30_000)
        assert domain.state()[0] == virsh_state  # the page and virsh agree
        assert page.url.endswith(url)  # the click stayed on the page
        for tab in tabs:
            assert_not_reloaded(tab)
    flash = page.locator("#instance-flash [data-operation-id]")
    expect(flash.locator('[data-field="status"]')).to_have_text("Succeeded")  # the line followed its operation

    newest = page.locator("[data-live-operations] tbody tr").first  # added live: like a rendered row
    op = Operation.objects.filter(target_id=str(instance.pk)).latest("pk")
    expect(newest.locator("a")).to_have_attribute("href", f"/operations/{op.pk}/")
    expect(newest.locator("td").nth(6)).to_have_text("admin")
    expect(newest.locator("td").nth(7)).to_have_text(localtime(op.created).strftime("%Y-%m-%d %H:%M:%S"))
    expect(newest.locator("progress")).to_be_hidden()  # finished: its status says it all

    page.on("dialog", lambda dialog: dialog.accept())  # the confirmation is asked in place
    page.get_by_text("More…").click()
    page.get_by_role("button", name="Delete…").click()
    expect(other.get_by_role("alert")).to_contain_text(f"Instance {instance.name} was deleted", timeout=60_000)
    expect(other.get_by_role("link", name="Back to the instances")).to_be_visible()
    expect(other.get_by_role("button", name="Start")).to_have_count(0)
    assert_not_reloaded(other)
    assert not [d for d in qemu_conn.listAllDomains(0) if d.name() == instance.name]
