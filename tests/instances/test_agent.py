"""Quiesce, unquiesce and set password answered by the real qemu-guest-agent in the tiny guest
(its disk an ext4 filesystem mounted on /mnt/data, so there is something to freeze)."""

import json
import subprocess

import libvirt_qemu
import pytest

from audit.models import AuditEntry
from hosts.credentials import encrypt
from instances.agent.operations import request_set_password
from tests.support.guest import MARKER
from tests.support.instances import TINY_CMDLINE, guest_image, guest_of
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.qemu
PASSWORD = "s3cret: with spaces & more"


@pytest.fixture
def tiny_image(transactional_db, tmp_path):
    """The tiny guest booting with its root disk (an ext4 filesystem) mounted on /mnt/data."""
    raw, disk = tmp_path / "data.raw", tmp_path / "data.qcow2"
    subprocess.run(["truncate", "-s", "32M", str(raw)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "data", str(raw)], check=True)
    subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", str(raw), str(disk)], check=True)
    return guest_image(name="tiny-ext4", disk=disk, cmdline=f"{TINY_CMDLINE} tinyguest.mount=vda")


@pytest.fixture
def booted(spawn, qemu_conn):
    """spawn(**options) -> (instance, TinyGuest) once the guest printed its marker."""

    def make(**options):
        instance = spawn(**options)
        guest = guest_of(qemu_conn, instance)
        guest.wait_for_serial(MARKER, timeout=90)
        return instance, guest

    return make


def succeeded(op):
    assert op.status == "succeeded", f"{op.kind} {op.status}: {op.error}"
    return op


def freeze_status(guest) -> str:
    answer = libvirt_qemu.qemuAgentCommand(guest.domain, '{"execute": "guest-fsfreeze-status"}', 5, 0)
    return json.loads(answer)["return"]


def test_quiesce_freezes_the_guest_filesystem_and_unquiesce_thaws_it(booted, run_op, admin_user):
    instance, guest = booted()
    assert "/mnt/data ext4" in guest.run_on_serial("grep /mnt/data /proc/mounts", "/mnt/data ext4")

    op = succeeded(run_op(instance, "instance.quiesce"))
    assert (op.message, op.result["frozen"]) == ("Froze 1 filesystem(s)", 1)
    assert freeze_status(guest) == "frozen"

    op = wait_for_operation(
        request_set_password(instance=instance, user=admin_user, username="root", password=PASSWORD).pk, timeout=60
    )
    assert op.status == "failed" and op.error == f"The filesystems of {instance.name} are frozen: unquiesce it first."

    op = succeeded(run_op(instance, "instance.unquiesce"))
    assert (op.message, op.result["thawed"]) == ("Thawed 1 filesystem(s)", 1)
    assert freeze_status(guest) == "thawed"
    assert "written-42" in guest.run_on_serial(
        "echo written-$((40+2)) > /mnt/data/f && sync && cat /mnt/data/f", "written-42"
    )


def test_set_password_changes_the_root_password_in_the_guest(booted, admin_user):
    instance, guest = booted()
    assert "root:*:" in guest.run_on_serial("grep ^root: /etc/shadow", "root:*:")

    op = request_set_password(instance=instance, user=admin_user, username="root", password=PASSWORD)
    assert PASSWORD not in json.dumps(op.params) and op.params["password"]
    op = succeeded(wait_for_operation(op.pk, timeout=60))
    assert op.message == "Password of root set"

    check = (
        "h=$(grep ^root: /etc/shadow | cut -d: -f2); s=$(echo \"$h\" | cut -d'$' -f3); "
        f'[ "$(mkpasswd -m sha512 \'{PASSWORD}\' "$s")" = "$h" ] && echo match-$((6*7))'
    )
    assert "match-42" in guest.run_on_serial(check, "match-42")
    assert "root:$6$" in guest.run_on_serial("grep ^root: /etc/shadow", "root:$6$")
    # Nothing keeps the password: not the operation's input or result, not the audit log.
    assert "password" not in op.params and PASSWORD not in json.dumps(op.result)
    assert not [entry for entry in AuditEntry.objects.all() if "s3cret" in json.dumps(entry.__dict__, default=str)]

    op = wait_for_operation(
        request_set_password(instance=instance, user=admin_user, username="nobody", password="x").pk, timeout=60
    )
    assert op.status == "failed"
    assert op.error == (
        f"The guest agent of {instance.name} could not set the password: chpasswd failed in the guest "
        "(does the user exist?)."
    )


def test_with_no_agent_running_in_the_guest_the_operations_say_so(booted, tiny_image, run_op):
    tiny_image.cmdline += " tinyguest.noagent"  # the channel is there, qemu-ga is not started
    tiny_image.save()
    instance, _guest = booted()
    expected = f"The guest agent of {instance.name} is not answering: is qemu-guest-agent running in the guest?"

    op = run_op(instance, "instance.quiesce", agent_wait=3)
    assert (op.status, op.error) == ("failed", expected)
    op = run_op(instance, "instance.set_password", user="root", password=encrypt(PASSWORD), agent_wait=3)
    assert (op.status, op.error) == ("failed", expected)
    assert "password" not in op.params


def test_a_guest_without_the_agent_channel_is_refused_at_once(spawn, tiny_flavor, run_op):
    tiny_flavor.extra_specs = {"hw:guest_agent": "false"}
    tiny_flavor.save()
    instance = spawn(flavor=tiny_flavor)
    op = run_op(instance, "instance.quiesce")
    assert op.status == "failed"
    assert op.error == f"{instance.name} has no guest agent channel (org.qemu.guest_agent.0): its definition needs one."
