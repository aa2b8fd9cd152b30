"""The API reference page in Chromium: Swagger UI from our static files renders the schema under the
console's Content-Security-Policy (no inline script, no eval), and a call made from it works."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_reference_page_shows_every_resource_without_a_csp_violation(page, admin_user):
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
            else None)  # fmt: skip
    log_in(page, "admin", PASSWORD)
    page.goto("/api/v1/docs/")
    expect(page.get_by_role("heading", name="libvirt console API")).to_be_visible()
    operation = page.locator(".opblock-summary").filter(has_text="/api/v1/hosts/").first
    expect(operation).to_be_visible()
    operation.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".live-responses-table .response .response-col_status")).to_have_text("200")
    assert refused == []
