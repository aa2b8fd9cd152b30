"""Set admin password in Chromium: from the instance page through the form to the operation's
page, which follows the job live; the root password hash in the guest changes."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import artifacts, log_in, page  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD
from tests.support.browser import chromium
from tests.support.guest import MARKER
from tests.support.instances import guest_of

pytestmark = [pytest.mark.qemu, pytest.mark.browser]


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def test_set_admin_password_from_the_instance_page(page, spawn, qemu_conn, admin_user, artifacts):  # noqa: F811
    instance = spawn()
    guest = guest_of(qemu_conn, instance)
    guest.wait_for_serial(MARKER, timeout=90)
    log_in(page, "admin", PASSWORD)
    page.goto(f"/instances/{instance.pk}/")
    page.get_by_text("More…").click()  # the rarer actions sit in a menu
    page.get_by_role("link", name="Set admin password…").click()

    expect(page.get_by_label("User name")).to_have_value("root")
    page.get_by_label("New password", exact=True).fill("one")
    page.get_by_label("New password again").fill("two")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("alert").filter(has_text="The two passwords differ")).to_be_visible()

    page.get_by_label("New password", exact=True).fill("browser-pw")
    page.get_by_label("New password again").fill("browser-pw")
    page.get_by_role("button", name="Set password").click()
    expect(page.locator('[data-field="message"]')).to_have_text("Password of root set", timeout=60_000)
    page.screenshot(path=str(artifacts / "set-password-done.png"), full_page=True)
    assert "root:$6$" in guest.run_on_serial("grep ^root: /etc/shadow", "root:$6$")
