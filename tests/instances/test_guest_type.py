"""The guest type chosen by evidence, on this machine's real libvirtd: KVM is advertised here but a
guest kernel never starts under it (../shared/ENVIRONMENT.md), so "auto" must prove it first."""

import pytest
from django.core.files import File
from django.urls import reverse
from lxml import etree

from hosts.models import Host
from instances.images.cache import cache_image
from instances.models import Image
from jobs.models import Operation
from tests.support.guest import MARKER
from tests.support.instances import blank_disk_image, guest_of
from tests.support.waiting import wait_for_operation
from virt.kvm_probe import kernel_boots

pytestmark = pytest.mark.qemu


@pytest.fixture
def make_run_settings(settings):
    """The guest type `make run` uses (the suite's own settings force qemu)."""
    settings.VIRT_TYPE = "auto"
    settings.KVM_PROBE_TIMEOUT = 8


def test_the_probe_tells_a_kernel_that_starts_from_one_that_does_not(qemu_host, qemu_conn, tiny_image):
    kernel = cache_image(qemu_conn, qemu_host, tiny_image, roles=("kernel",))["kernel"]
    tcg = kernel_boots(qemu_conn, qemu_host.uri, virt_type="qemu", kernel=kernel, timeout=60)
    assert tcg.booted and tcg.seconds < 60, tcg  # the control: the probe sees a kernel that starts
    kvm = kernel_boots(qemu_conn, qemu_host.uri, virt_type="kvm", kernel=kernel, timeout=5)
    assert not kvm.booted and kvm.seconds >= 5, kvm  # this machine's KVM: advertised, not working
    assert not [d for d in qemu_conn.listAllDomains(0) if d.name().startswith("lvc-probe-")]  # nothing left


def test_auto_uses_kvm_only_once_proven_and_says_why_not(make_run_settings, spawn, qemu_host, qemu_conn, client,
                                                        admin_user):  # fmt: skip
    assert qemu_host.offers_kvm and qemu_host.kvm_usable is None
    instance = spawn()
    guest_of(qemu_conn, instance).wait_for_serial(MARKER, timeout=90)  # it boots: under TCG
    assert etree.fromstring(qemu_conn.lookupByName(instance.name).XMLDesc(0)).get("type") == "qemu"
    host = Host.objects.get(pk=qemu_host.pk)
    assert host.kvm_usable is False
    assert host.kvm_note.startswith("a probe guest's kernel (tiny) did not start under KVM within 8 s")
    probed = host.kvm_probed

    spawn()  # the verdict is remembered: no second probe
    assert Host.objects.get(pk=host.pk).kvm_probed == probed

    client.force_login(admin_user)
    page = client.get(reverse("host-detail", args=[host.pk])).content.decode()
    assert "QEMU (TCG, software, slower) instead of KVM: a probe guest&#x27;s kernel (tiny) did not start" in page
    response = client.post(reverse("host-probe-kvm", args=[host.pk]))
    op = Operation.objects.get(kind="host.probe_kvm")
    assert response.url == reverse("operation-detail", args=[op.pk])
    op = wait_for_operation(op.pk, timeout=60)
    assert op.status == "succeeded" and op.message.startswith("KVM is not used: a probe guest's kernel (tiny) did")
    assert Host.objects.get(pk=host.pk).kvm_probed > probed


def test_a_new_guest_whose_console_stays_silent_is_created_with_a_warning(settings, spawn, tmp_path, client,
                                                                          admin_user):  # fmt: skip
    settings.SPAWN_CONSOLE_WAIT = 5
    talking = spawn()  # the tiny guest's kernel writes to its console at once: no warning
    assert "warning" not in Operation.objects.filter(kind="instance.spawn").latest("pk").result

    blank = Image(name="blank-disk", disk_format="qcow2")  # no boot loader: the BIOS writes to the screen only
    with open(blank_disk_image(tmp_path / "blank.qcow2"), "rb") as file:
        blank.disk.save("blank.qcow2", File(file))
    silent = spawn(image=blank)
    op = Operation.objects.filter(kind="instance.spawn").latest("pk")
    assert op.status == "succeeded" and op.message == "Created, with a warning: its console stayed silent"
    assert op.result["warning"].startswith("Its console printed nothing within 5 s: its kernel may not be starting")

    client.force_login(admin_user)
    page = client.get(reverse("instance-detail", args=[silent.pk])).content.decode()
    assert 'class="flash flash-warning" role="alert">Warning: Its console printed nothing within 5 s' in page
    assert "flash-warning" not in client.get(reverse("instance-detail", args=[talking.pk])).content.decode()
