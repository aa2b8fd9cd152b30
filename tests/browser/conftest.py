"""Playwright driving Debian's Chromium against the real ASGI app served by uvicorn."""

import faulthandler
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from jobs.models import Operation

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots worth a look land (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="package")
def browser():
    """Chromium for the browser tests only: Playwright's sync API keeps an event loop in the main
    thread while it runs, which Django takes for async code calling the ORM. The tests' own ORM
    calls are synchronous, so they are allowed for as long as Playwright runs."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make test does it).")
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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
