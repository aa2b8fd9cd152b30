"""Storage in Chromium: create a volume through the form, and see the pools region follow the host live."""

import threading

import pytest
from playwright.sync_api import expect

from hosts.services import probe
from tests.browser.conftest import log_in, page  # noqa: F401  (the page fixture)
from tests.conftest import PASSWORD
from tests.storage.conftest import unique
from tests.support.browser import chromium
from virt import storage

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture(scope="module")
def browser():
    """Chromium for this module only, so that the other storage tests run without Playwright's loop."""
    with chromium() as browser:
        yield browser


def test_create_a_volume_then_see_a_change_made_elsewhere_arrive_live(
    page,  # noqa: F811
    operator,
    qemu_host,
    qemu_conn,
    real_pool,
    rq_worker,
):
    log_in(page, "operator", PASSWORD)
    page.goto(f"/hosts/{qemu_host.pk}/storage/")
    region = page.locator(f'article[data-pool="{real_pool}"]')
    region.get_by_role("button", name="New volume").click()
    name = unique(".qcow2")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Size").fill("8")
    page.get_by_label("Unit").select_option("MiB")
    page.get_by_role("button", name="Create volume").click()

    expect(page.locator('[data-field="status"]')).to_have_text("Succeeded", timeout=15_000)
    page.locator('[data-field="url"]').click()
    expect(page.locator(f'tr[data-volume="{name}"]')).to_contain_text("8.0 MiB")

    other = unique(".img")  # made outside the console: the monitor's (here: a probe's) event refreshes the page
    storage.create_volume(qemu_conn, real_pool, name=other, capacity=1024**2, fmt="raw")
    thread = threading.Thread(target=probe, args=[qemu_host])  # Playwright's event loop owns this thread
    thread.start()
    thread.join(10)
    expect(page.locator(f'tr[data-volume="{other}"]')).to_contain_text("1.0 MiB", timeout=10_000)
