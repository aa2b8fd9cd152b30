"""The instance page's charts in Chromium, on the real TCG guest with the real monitor: a busy loop
typed over its serial console lifts the CPU chart near 100 % of its vCPU and it falls once the loop
is killed, a dd shows in the disk chart — all without a reload; the range switch redraws."""

import re

import pytest

from tests.browser.conftest import artifacts, log_in, page  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD
from tests.support.browser import chromium
from tests.support.instances import in_guest
from tests.support.monitor import running_monitor

pytestmark = [pytest.mark.qemu, pytest.mark.browser]

# The figure a chart's caption shows for `label` ("CPU 97.5 %", "read 1.2 MiB/s"), in its unit; -1 when none yet.
FIGURE_JS = """([chart, label]) => {
  const caption = document.querySelector(`figure[data-chart="${chart}"] [data-latest]`);
  const found = caption && caption.textContent.match(new RegExp(label + " ([0-9.]+) ?([KMG]i)?B?"));
  if (!found) return -1;
  return parseFloat(found[1]) * ({Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3}[found[2]] || 1);
}"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def wait_for_figure(tab, chart: str, label: str, condition: str, *, timeout: float = 60_000) -> None:
    tab.wait_for_function(f"args => {{ const v = ({FIGURE_JS})(args); return v >= 0 && v {condition}; }}",
                          arg=[chart, label], timeout=timeout)  # fmt: skip


def test_the_cpu_chart_follows_a_busy_loop_without_a_reload(page, admin_user, running, settings):  # noqa: F811
    instance, guest = running
    settings.STATS_INTERVAL = 1
    log_in(page, "admin", PASSWORD)
    with running_monitor(refresh_interval=1):
        page.goto(f"/instances/{instance.pk}/")
        page.evaluate("() => { window.sameDocument = true; }")
        wait_for_figure(page, "cpu", "CPU", ">= 0", timeout=30_000)
        in_guest(guest, "sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & echo $! > /tmp/busy")
        wait_for_figure(page, "cpu", "CPU", "> 80")
        in_guest(guest, "kill $(cat /tmp/busy)")
        wait_for_figure(page, "cpu", "CPU", "< 30")
        in_guest(guest, "dd if=/dev/vda of=/dev/null bs=64k count=320")
        wait_for_figure(page, "disk-vda", "read", "> 0")
        assert page.evaluate("() => window.sameDocument") is True  # updated in place, never reloaded

        page.click("[data-range='24h']")
        page.wait_for_function("() => document.querySelector('figure[data-chart=cpu] .u-legend')"
                               ".textContent.includes('CPU (maximum)')")  # fmt: skip
        assert page.get_attribute("[data-range='24h']", "aria-pressed") == "true"
        assert re.search(r"CPU [0-9.]+ %", page.text_content("figure[data-chart=cpu] [data-latest]"))
