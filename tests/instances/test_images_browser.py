"""Uploading an image in Chromium: the file goes with XMLHttpRequest (so the page shows its
progress), a saved image leads to the list, a refused one shows its errors in place."""

import pytest
from playwright.sync_api import expect

from instances.models import Image
from tests.browser.conftest import log_in, page  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD
from tests.support.browser import chromium
from tests.support.files_server import QCOW2

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def test_an_image_uploaded_with_progress_then_a_refusal_in_place(page, admin_user, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    disk = tmp_path / "disk.qcow2"
    disk.write_bytes(QCOW2 + b"\0" * (8 * 1024 * 1024))
    log_in(page, "admin", PASSWORD)
    page.goto("/instances/images/upload/")
    page.get_by_label("Name").fill("uploaded-disk")
    page.get_by_label("Disk", exact=True).set_input_files(str(disk))
    with page.expect_request("**/images/upload/") as sent:
        page.get_by_role("button", name="Upload").click()
    assert sent.value.resource_type == "xhr" and sent.value.method == "POST"  # the progress path
    expect(page).to_have_url("/instances/images/")
    expect(page.get_by_role("cell", name="uploaded-disk")).to_be_visible()
    assert Image.objects.get(name="uploaded-disk").disk.size == disk.stat().st_size

    page.goto("/instances/images/upload/")
    page.get_by_label("Name").fill("not-qcow2")
    bad = tmp_path / "bad.img"
    bad.write_bytes(b"plain bytes")
    page.get_by_label("Disk", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("This file is not a qcow2 image")).to_be_visible()
    expect(page).to_have_url("/instances/images/upload/")
    assert not Image.objects.filter(name="not-qcow2").exists()
