"""The commands `make run` uses: default hosts and the administrator account."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from hosts.models import Host, HostStatus

pytestmark = pytest.mark.django_db


def test_default_hosts_registers_the_ones_that_answer(settings, dead_host, capsys, qemu_conn):
    settings.LIBVIRT_DEFAULT_URIS = ["test:///default", "qemu:///system", "qemu+tcp://127.0.0.1:1/system"]

    call_command("register_default_hosts")

    hosts = {host.uri: host for host in Host.objects.all()}
    assert hosts["test:///default"].name == "Embedded test host"
    assert hosts["test:///default"].status == HostStatus.UP
    assert hosts["qemu:///system"].hypervisor.startswith("QEMU ")
    assert "qemu+tcp://127.0.0.1:1/system" not in hosts
    assert "not registered qemu+tcp://127.0.0.1:1/system: Host unreachable" in capsys.readouterr().out


def test_default_hosts_is_idempotent(settings):
    settings.LIBVIRT_DEFAULT_URIS = ["test:///default"]
    call_command("register_default_hosts")
    call_command("register_default_hosts")
    assert Host.objects.count() == 1


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
