"""A newcomer's first hour, clicked in Chromium with the settings `make run` uses (the guest type
chosen by a KVM probe, the spawn's console check, the seeded flavors and demo image, the monitor
running): create, a shell on its serial console, then pause → unpause → suspend → resume →
reboot → shut down → start → delete from one page that never reloads, the page and `virsh`
agreeing after each step, and a second tab following every change to the deletion."""

import uuid

import libvirt
import pytest
from playwright.sync_api import expect

from instances.catalog import DEMO_IMAGE, seed_demo_image, seed_flavors
from instances.models import Instance
from jobs.models import Operation
from tests.browser.conftest import log_in, page  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD
from tests.console.test_serial_browser import press_enter_until_the_prompt, wait_for_terminal_text
from tests.instances.test_instances_browser import assert_not_reloaded, mark_page
from tests.support.browser import chromium
from tests.support.guest import NAME_PREFIX
from tests.support.monitor import running_monitor

pytestmark = [pytest.mark.qemu, pytest.mark.browser]
VIRSH = {
    "Running": libvirt.VIR_DOMAIN_RUNNING,
    "Paused": libvirt.VIR_DOMAIN_PAUSED,
    "Shut off": libvirt.VIR_DOMAIN_SHUTOFF,
    "Suspended": libvirt.VIR_DOMAIN_SHUTOFF,  # saved to disk: shut off, with its memory image
}


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def make_run_settings(settings, tmp_path):
    settings.VIRT_TYPE = "auto"
    settings.KVM_PROBE_TIMEOUT = 15
    settings.SPAWN_CONSOLE_WAIT = 30
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_flavors()
    assert seed_demo_image() == f"demo image {DEMO_IMAGE} added"


def test_a_first_instance_clicked_through_its_life(make_run_settings, page, qemu_host, qemu_conn,  # noqa: F811
                                                   rq_worker, admin_user):  # fmt: skip
    name = f"{NAME_PREFIX}walk-{uuid.uuid4().hex[:6]}"
    page.on("dialog", lambda dialog: dialog.accept())  # destructive steps are confirmed in place
    with running_monitor():
        log_in(page, "admin", PASSWORD)
        page.goto("/instances/new/")
        page.get_by_label("Host").select_option(label=qemu_host.name)
        page.get_by_label("Name").fill(name)
        page.get_by_label("Flavor").select_option(label="m1.tiny (1 vCPU, 512 MiB, 1 GiB)")
        page.get_by_label("Image").select_option(label=DEMO_IMAGE)
        page.get_by_role("button", name="Create").click()
        expect(page.locator('[data-field="status"]').first).to_have_text("Succeeded", timeout=180_000)
        expect(page.locator('[data-field="message"]').first).to_have_text("Created")  # no warning: it printed
        page.get_by_role("link", name=name).click()

        instance = Instance.objects.get(name=name)
        domain = qemu_conn.lookupByName(name)
        assert domain.XMLDesc(0).startswith("<domain type='qemu'")  # KVM was probed and found not to work here
        serial = page.context.new_page()  # its serial console works: a shell answers
        serial.goto(f"/console/serial/{instance.pk}/")
        expect(serial.locator("#console-status")).to_have_text(f"Connected to the serial console of {name}.")
        serial.locator("#serial-terminal").click()
        press_enter_until_the_prompt(serial, timeout=120)
        serial.keyboard.type("echo first-$((6*7))")
        serial.keyboard.press("Enter")
        wait_for_terminal_text(serial, "first-42")
        serial.close()

        other = page.context.new_page()
        other.goto(page.url)
        tabs = (page, other)
        for tab in tabs:
            mark_page(tab)
        states = [tab.locator(f'[data-instance-id="{instance.pk}"] [data-field="state"]').first for tab in tabs]
        expect(states[0]).to_have_text("Running")

        for button, shown in [("Pause", "Paused"), ("Unpause", "Running"), ("Suspend", "Suspended"),
                              ("Resume", "Running"), ("Reboot…", "Running"), ("Shut down…", "Shut off"),
                              ("Start", "Running")]:  # fmt: skip
            before = Operation.objects.filter(target_id=str(instance.pk)).latest("pk").pk
            page.get_by_role("button", name=button, exact=True).click()
            flash = page.locator(f'#instance-flash [data-operation-id]:not([data-operation-id="{before}"])')
            expect(flash.locator('[data-field="status"]')).to_have_text("Succeeded", timeout=120_000)  # its own
            for state in states:
                expect(state).to_have_text(shown, timeout=30_000)
            assert domain.state()[0] == VIRSH[shown], button  # the page and virsh agree
            assert domain.hasManagedSaveImage(0) == (shown == "Suspended"), button
            assert page.url.endswith(f"/instances/{instance.pk}/"), button  # the click stayed on the page
            for tab in tabs:
                assert_not_reloaded(tab)

        page.get_by_text("More…").click()  # the rarer actions sit in a menu
        page.get_by_role("button", name="Delete…", exact=True).click()
        for tab in tabs:
            expect(tab.get_by_role("alert")).to_contain_text(f"Instance {name} was deleted", timeout=120_000)
            assert_not_reloaded(tab)
    assert not [d for d in qemu_conn.listAllDomains(0) if d.name() == name]
    assert not Instance.objects.filter(name=name).exists()
