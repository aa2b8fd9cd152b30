"""Live migration in Chromium: chosen on the migrate page, watched on the open instance page (state,
progress, then the new host), which is never reloaded."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import artifacts, log_in, page  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD
from tests.support.browser import chromium

pytestmark = [pytest.mark.qemu, pytest.mark.browser]


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def test_the_instance_page_follows_a_migration_to_its_new_host(page, lab_hosts, shared_storage, spawn_on,  # noqa: F811
                                                               admin_user, artifacts):  # fmt: skip  # noqa: F811
    source, dest = lab_hosts
    instance = spawn_on(source)
    log_in(page, "admin", PASSWORD)
    page.goto(f"/instances/{instance.pk}/")
    host = page.locator("dt:text-is('Host') + dd")
    expect(host).to_have_text(source.name)
    page.evaluate("window.notReloaded = true")

    form = page.context.new_page()
    form.goto(f"/instances/{instance.pk}/migrate/")
    form.select_option("select[name=destination]", label=dest.name)
    form.fill("input[name=bandwidth_mib]", "16")  # some seconds of copying to watch
    form.get_by_role("button", name="Migrate").click()
    expect(form.locator("body")).to_contain_text("Live-migrate instance")

    progress = page.locator("[data-live-operations] tbody tr").first
    expect(progress).to_contain_text("MiB sent", timeout=60_000)  # live progress on the instance page
    page.screenshot(path=str(artifacts / "migration-progress.png"), full_page=True)
    expect(host).to_have_text(dest.name, timeout=120_000)
    expect(page.locator(f'[data-instance-id="{instance.pk}"] [data-field="state"]').first).to_have_text("Running")
    expect(progress).to_contain_text("Succeeded")
    assert page.evaluate("window.notReloaded === true"), "the page was reloaded"
