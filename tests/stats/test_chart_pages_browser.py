"""In Chromium, without a guest: the instance and host pages draw the history recorded for them
(uPlot from our static files, within the Content-Security-Policy), the range switch redraws, and
the home page's dashboard is there."""

import time
import uuid

import pytest
from playwright.sync_api import expect

from hosts.models import Host, HostStatus
from instances.models import Instance
from stats.history import History
from tests.audit.test_audit_browser import violations  # noqa: F401  (the fixture)
from tests.browser.conftest import log_in, page  # noqa: F401  (the page fixture)
from tests.conftest import PASSWORD
from tests.support.browser import chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def test_the_pages_draw_their_recorded_history(page, admin_user, violations, settings, tmp_path):  # noqa: F811
    settings.STATS_DIR, settings.STATS_INTERVAL = tmp_path / "stats", 10  # the server thread reads the same
    host = Host.objects.create(name="lab", uri="test:///default", status=HostStatus.UP)
    instance = Instance.objects.create(
        host=host, uuid=uuid.uuid4(), name="web-1", vcpus=1, details={"disks": [{"target": "vda"}]}
    )
    now = time.time()
    for back, values in ((20, [10.0, 2**20]), (10, [55.5, 3 * 2**20])):
        History(f"instance-{instance.uuid}", series=2).add(now - back, values)
        History(f"instance-{instance.uuid}-disk-vda", series=4).add(now - back, [2048, 0, 4, 0])
        History(f"host-{host.pk}", series=4).add(now - back, [25.0, 2**30, 12.5, 2**28])
    log_in(page, "admin", PASSWORD)

    page.goto(f"/instances/{instance.pk}/")
    expect(page.locator("figure[data-chart=cpu] [data-latest]")).to_have_text("CPU 55.5 %")
    expect(page.locator("figure[data-chart=memory] [data-latest]")).to_have_text("memory 3.0 MiB")
    expect(page.locator("figure[data-chart=disk-vda] [data-latest]")).to_have_text("read 2.0 KiB/s, write 0 B/s")
    expect(page.locator("figure[data-chart=cpu] canvas")).to_have_count(1)
    page.click("[data-range='30d']")
    expect(page.locator("figure[data-chart=cpu] .u-legend")).to_contain_text("CPU (maximum)")
    expect(page.locator("[data-range='30d']")).to_have_attribute("aria-pressed", "true")

    page.goto(f"/hosts/{host.pk}/")
    expect(page.locator("figure[data-chart=cpu] [data-latest]")).to_have_text("host 25.0 %, its guests 12.5 %")
    page.goto("/")
    expect(page.get_by_role("heading", name="Busiest instances")).to_be_visible()
    assert violations == []
