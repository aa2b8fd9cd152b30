"""The serial console page in Chromium: xterm.js shows the real guest's console, takes keystrokes,
re-fits to the window, reconnects by itself, and tells its user when another session takes over."""

import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from console.models import ConsoleSession
from tests.browser.conftest import artifacts, log_in, page  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD
from tests.support.browser import chromium
from tests.support.guest import MARKER
from tests.support.instances import guest_of

pytestmark = [pytest.mark.qemu, pytest.mark.browser]

# The terminal's whole buffer (scrollback included) as text.
BUFFER_JS = """() => {
  const buffer = window.serialTerm.buffer.active;
  const lines = [];
  for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i).translateToString(true));
  return lines.join("\\n");
}"""

# Every text the status shows from now on, in window.statusLog (some show only briefly).
RECORD_STATUS_JS = """() => {
  window.statusLog = [];
  const status = document.getElementById("console-status");
  new MutationObserver(() => window.statusLog.push(status.textContent)).observe(status, {childList: true});
}"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def leave_and_check_the_audit(tab, expected: int) -> None:
    """Leave the page (its websocket closes while the test database is still there): every
    session is recorded as ended."""
    tab.goto("about:blank")
    deadline = time.monotonic() + 10
    while ConsoleSession.objects.filter(ended__isnull=True).exists():
        assert time.monotonic() < deadline, "a console session was not recorded as ended"
        time.sleep(0.05)
    assert ConsoleSession.objects.filter(kind="serial").count() == expected


def wait_for_terminal_text(tab, text: str, *, timeout: float = 20_000) -> None:
    tab.wait_for_function(f"text => ({BUFFER_JS})().includes(text)", arg=text, timeout=timeout)


def press_enter_until_the_prompt(tab, *, timeout: float = 20) -> None:
    """Press Enter until the guest's shell shows a new prompt: keys typed before it reads its terminal are lost."""
    count = f"() => ({BUFFER_JS})().split('/ # ').length"
    deadline = time.monotonic() + timeout
    while True:
        before = tab.evaluate(count)
        tab.keyboard.press("Enter")
        try:
            tab.wait_for_function(f"before => ({count})() > before", arg=before, timeout=1000)
            return
        except PlaywrightTimeout:
            assert time.monotonic() < deadline, f"no shell prompt on the serial console within {timeout} s"


def test_the_console_shows_the_guest_takes_keystrokes_and_refits(page, spawn, qemu_conn, operator, artifacts):  # noqa: F811
    instance = spawn()
    guest_of(qemu_conn, instance).wait_for_serial(MARKER, timeout=90)
    log_in(page, "operator", PASSWORD)
    page.goto(f"/console/serial/{instance.pk}/")
    expect(page.locator("#console-status")).to_have_text(f"Connected to the serial console of {instance.name}.")

    page.locator("#serial-terminal").click()
    press_enter_until_the_prompt(page)
    page.keyboard.type("echo browser-$((6*7))")
    page.keyboard.press("Enter")
    wait_for_terminal_text(page, "browser-42")
    page.screenshot(path=str(artifacts / "serial-console.png"))

    cols = page.evaluate("window.serialTerm.cols")
    page.set_viewport_size({"width": 800, "height": 600})
    page.wait_for_function("cols => window.serialTerm.cols < cols", arg=cols)
    page.locator('[data-action="stty"]').click()  # the guest's shell learns the new size
    page.keyboard.type("stty size")
    page.keyboard.press("Enter")
    rows, cols = page.evaluate("[window.serialTerm.rows, window.serialTerm.cols]")
    wait_for_terminal_text(page, f"{rows} {cols}")

    page.evaluate(RECORD_STATUS_JS)
    page.evaluate("window.serialSocket().close(4000)")  # as a dropped connection would
    page.wait_for_function("() => window.statusLog.some(text => text.startsWith('Connection lost — reconnecting in'))")
    expect(page.locator("#console-status")).to_have_text(f"Connected to the serial console of {instance.name}.")
    page.keyboard.type("echo back-$((6*7))")
    page.keyboard.press("Enter")
    wait_for_terminal_text(page, "back-42")
    leave_and_check_the_audit(page, expected=2)  # the reconnect is a session of its own


def test_a_second_session_takes_over_and_the_first_page_says_so(
    page,  # noqa: F811
    browser,
    asgi_server,
    spawn,
    admin_user,
    operator,
):
    instance = spawn()
    log_in(page, "operator", PASSWORD)
    page.goto(f"/console/serial/{instance.pk}/")
    expect(page.locator("#console-status")).to_have_text(f"Connected to the serial console of {instance.name}.")

    context = browser.new_context(base_url=asgi_server.url)
    try:
        other = context.new_page()
        log_in(other, "admin", PASSWORD)
        other.goto(f"/console/serial/{instance.pk}/")
        expect(other.locator("#serial-notice")).to_have_text("You took this console over from operator.")
        expect(page.locator("#console-status")).to_have_text("This console was taken over by admin.")
        take_back = page.get_by_role("button", name="Take over")
        expect(take_back).to_be_visible()

        take_back.click()
        expect(page.locator("#console-status")).to_have_text(f"Connected to the serial console of {instance.name}.")
        expect(other.locator("#console-status")).to_have_text("This console was taken over by operator.")
    finally:
        context.close()
    leave_and_check_the_audit(page, expected=3)
