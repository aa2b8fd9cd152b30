"""The commands `make run` uses: default hosts and the administrator account."""

import subprocess
from pathlib import Path

import libvirt
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from hosts.models import Host, HostStatus
from instances.models import Flavor, Image
from instances.tiny_guest import tiny_guest_dir

pytestmark = pytest.mark.django_db


def test_default_hosts_registers_the_ones_that_answer(settings, dead_host, capsys, qemu_conn):
    settings.LIBVIRT_DEFAULT_URIS = ["test+unix:///default", "qemu:///system", "qemu+tcp://127.0.0.1:1/system"]

    call_command("register_default_hosts")

    hosts = {host.uri: host for host in Host.objects.all()}
    assert hosts["test+unix:///default"].name == "Embedded test host"
    assert hosts["test+unix:///default"].status == HostStatus.UP
    assert hosts["qemu:///system"].hypervisor.startswith("QEMU ")
    assert "qemu+tcp://127.0.0.1:1/system" not in hosts
    assert "not registered qemu+tcp://127.0.0.1:1/system: Host unreachable" in capsys.readouterr().out


def test_default_hosts_is_idempotent(settings):
    settings.LIBVIRT_DEFAULT_URIS = ["test+unix:///default"]
    call_command("register_default_hosts")
    call_command("register_default_hosts")
    assert Host.objects.count() == 1


def test_the_embedded_host_is_one_state_for_every_process(qemu_conn):
    """What the worker does there, the monitor and the pages see (each is its own process)."""
    mine = libvirt.open("test+unix:///default")  # held open, as the monitor holds its connection
    try:
        subprocess.run(["virsh", "-c", "test+unix:///default", "suspend", "test"], check=True, capture_output=True)
        assert mine.lookupByName("test").state()[0] == libvirt.VIR_DOMAIN_PAUSED
        subprocess.run(["virsh", "-c", "test+unix:///default", "resume", "test"], check=True, capture_output=True)
        assert mine.lookupByName("test").state()[0] == libvirt.VIR_DOMAIN_RUNNING
    finally:
        mine.close()


def test_ensure_admin_creates_one_admin_and_says_how_to_log_in(settings, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)
    settings.STATE_DIR = tmp_path
    call_command("ensure_admin")
    call_command("ensure_admin")

    admin = User.objects.get(is_superuser=True)
    password = (tmp_path / "admin-password").read_text().strip()
    assert admin.username == "admin" and admin.check_password(password)
    assert (tmp_path / "admin-password").stat().st_mode & 0o777 == 0o600
    out = capsys.readouterr().out
    assert f"created administrator 'admin' with password {password}" in out
    assert f"log in as 'admin' with the password kept in {tmp_path}" in out
    assert out.count(password) == 1


def test_ensure_admin_takes_the_account_from_the_environment(monkeypatch, tmp_path, settings):
    settings.STATE_DIR = tmp_path
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root-admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-enough-password")
    call_command("ensure_admin")
    assert User.objects.get(username="root-admin").check_password("a-long-enough-password")
    assert not (tmp_path / "admin-password").exists()


def test_an_empty_catalog_gets_flavors_and_the_demo_image_once(settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_catalog")
    assert "flavors added: m1.tiny, m1.small, m1.medium, m1.large" in capsys.readouterr().out
    tiny = Flavor.objects.get(name="m1.tiny")
    assert (tiny.vcpus, tiny.memory_mib, tiny.disk_gib) == (1, 512, 1)
    image = Image.objects.get()
    assert (image.name, image.cmdline) == ("tiny-linux-demo", "console=tty0 console=ttyS0")
    assert Path(image.kernel.path).read_bytes() == (tiny_guest_dir() / "vmlinuz").read_bytes()
    assert Path(image.initrd.path).stat().st_size == (tiny_guest_dir() / "initrd.img").stat().st_size

    Flavor.objects.filter(name="m1.large").delete()  # the admin's choice stands
    call_command("seed_catalog")
    assert "flavors exist: none added" in capsys.readouterr().out
    assert not Flavor.objects.filter(name="m1.large").exists() and Image.objects.count() == 1


def test_the_create_form_says_what_is_missing_and_where_to_make_it(admin_client):
    body = admin_client.get(reverse("instance-create")).content.decode()
    assert "No flavor yet: a flavor is the size of an instance" in body
    assert f'href="{reverse("admin:instances_flavor_add")}"' in body and "seed_catalog" in body
    assert "No image yet: an image is what an instance boots" in body
    assert f'href="{reverse("image-upload")}"' in body and f'href="{reverse("image-import")}"' in body
