"""VNC and SPICE consoles in Chromium, through the real ticket view and console proxy, on the real
guest: the screen shows the guest (not a blank canvas) and keystrokes reach it."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import artifacts, log_in, page  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD
from tests.support.browser import chromium
from tests.support.consoleproxy import ProxyProcess
from tests.support.guest import MARKER
from tests.support.instances import guest_of

pytestmark = [pytest.mark.qemu, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Pixels clearly brighter than the black background of a text console.
LIT_PIXELS = """() => {
  const canvas = document.querySelector("#console-screen canvas");
  if (!canvas || !canvas.width) return 0;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let lit = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] > 120) lit++;
  return lit;
}"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def proxy(asgi_server, tmp_path, settings):
    """The real console proxy, accepting the test server's pages; the pages are told its URL."""
    process = ProxyProcess(tmp_path / "proxy.log", origins=asgi_server.url).start()
    settings.CONSOLE_PROXY_URL = process.url
    yield process
    process.stop()


def wait_in_guest(guest, name: str, *, timeout: float = 20) -> None:
    """Keystrokes through VNC run a moment later: look for /tmp/<name> over the serial console."""
    deadline = time.monotonic() + timeout
    while name not in guest.run_on_serial("ls /tmp; echo listed-$((40+2))", "listed-42"):
        assert time.monotonic() < deadline, f"/tmp/{name} not made in the guest within {timeout} s"
        time.sleep(0.5)


def wait_for_lit_pixels(tab, *, minimum: int = 500, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while (lit := tab.evaluate(LIT_PIXELS)) < minimum:
        assert time.monotonic() < deadline, f"the console canvas stayed blank ({lit} lit pixels)"
        time.sleep(0.3)
    return lit


def test_vnc_shows_the_guest_screen_and_typed_commands_run(
    page,  # noqa: F811
    spawn,
    screen_image,
    qemu_conn,
    proxy,
    operator,
    artifacts,  # noqa: F811
):
    instance = spawn(image=screen_image)
    guest = guest_of(qemu_conn, instance)
    guest.wait_for_serial(MARKER, timeout=90)
    log_in(page, "operator", PASSWORD)
    page.goto(f"/instances/{instance.pk}/")
    page.get_by_role("link", name="VNC console").click()

    expect(page.locator("#console-status")).to_have_text(re.compile("^Connected"), timeout=20_000)
    wait_for_lit_pixels(page)  # the guest's text console, not a blank canvas
    page.locator("#console-screen canvas").screenshot(path=str(artifacts / "vnc-console.png"))

    guest.wait_for_screen_shell()
    page.locator("#console-screen canvas").click()
    page.keyboard.type("mkdir /tmp/typed-through-vnc")
    page.keyboard.press("Enter")
    wait_in_guest(guest, "typed-through-vnc")

    page.get_by_text("Paste text").click()
    page.get_by_label("Text to paste").fill("mkdir /tmp/pasted-through-vnc\n")
    page.get_by_role("button", name="Type it into the guest").click()
    wait_in_guest(guest, "pasted-through-vnc")


def test_a_guest_that_is_off_gets_a_clear_message(page, spawn, proxy, operator):  # noqa: F811
    instance = spawn(start=False)
    log_in(page, "operator", PASSWORD)
    page.goto(f"/console/screen/{instance.pk}/vnc/")
    expect(page.locator("#console-status")).to_contain_text("is shut off: start it to open its console")


def test_spice_shows_the_guest_screen(page, spawn, screen_image, qemu_conn, tiny_flavor, proxy, operator, artifacts):  # noqa: F811
    tiny_flavor.graphics = "spice"
    tiny_flavor.save()
    instance = spawn(flavor=tiny_flavor, image=screen_image)
    guest_of(qemu_conn, instance).wait_for_serial(MARKER, timeout=90)
    log_in(page, "operator", PASSWORD)
    page.goto(f"/instances/{instance.pk}/")
    page.get_by_role("link", name="SPICE console").click()

    expect(page.locator("#console-status")).to_have_text("Connected", timeout=20_000)
    wait_for_lit_pixels(page)
    page.locator("#console-screen canvas").first.screenshot(path=str(artifacts / "spice-console.png"))
