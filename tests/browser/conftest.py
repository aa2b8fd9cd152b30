"""Playwright driving Debian's Chromium against the real ASGI app served by uvicorn."""

import faulthandler
from pathlib import Path

import pytest

from jobs.models import Operation
from tests.support.browser import chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots worth a look land (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="package")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, asgi_server, request):
    context = browser.new_context(base_url=asgi_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"), full_page=True)
        with open(ARTIFACTS / f"failed-{request.node.name}.threads.txt", "w") as dump:
            faulthandler.dump_traceback(dump, all_threads=True)  # what the server and worker were doing
            dump.write(f"\noperations: {list(Operation.objects.values('id', 'kind', 'status', 'message', 'error'))}\n")
    context.close()


def log_in(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
