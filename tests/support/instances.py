"""Instance fixtures: the real host, the tiny image and flavor, and spawning through the real job.
Test packages that need them import them in their conftest.py (`from tests.support.instances import *`)."""

import contextlib
import functools
import hashlib
import subprocess
import time
import uuid
from pathlib import Path

import libvirt
import pytest
from django.conf import settings
from django.core.files import File

from hosts.models import Host
from hosts.services import probe
from instances.models import Flavor, Image, Instance
from instances.services import create_instance, request_operation
from tests.networks.support import random_subnet, remove_network, unique_name
from tests.support.guest import GUEST_DIR, MARKER, NAME_PREFIX, TinyGuest, kernel, remove_domain
from tests.support.pools import remove_pool
from tests.support.waiting import wait_for_operation
from virt.networks import define_network

TINY_CMDLINE = "console=tty0 console=ttyS0"


@pytest.fixture(autouse=True)
def instance_settings(settings, tmp_path):
    """Test pools (never the ones a developer's `make run` uses) and media in a temp folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMAGE_POOL_NAME = "lvc-test-images"
    settings.IMAGE_POOL_PATH = "/var/lib/libvirt/images/lvc-test-images"
    settings.INSTANCE_POOL_NAME = "lvc-test-instances"
    settings.INSTANCE_POOL_PATH = "/var/lib/libvirt/images/lvc-test-instances"


@pytest.fixture(scope="session")
def test_pools(qemu_conn):
    """The test image and instance pools are removed when the session ends."""
    yield
    for name in ("lvc-test-instances", "lvc-test-images"):
        remove_pool(qemu_conn, name)


@pytest.fixture
def qemu_host(transactional_db, qemu_conn, test_pools):
    host = Host.objects.create(name="this machine", uri="qemu:///system")
    probe(host)
    host.refresh_from_db()
    return host


def blank_disk_image(path: Path, size: str = "32M") -> Path:
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), size], check=True)
    return path


@functools.cache
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def guest_image(*, name: str, disk: Path, cmdline: str = TINY_CMDLINE, screen: bool = False) -> Image:
    """An Image of the tiny guest with `disk` as its disk (saved into MEDIA_ROOT). Its kernel and
    initrd are linked into MEDIA_ROOT from the guest's build folder rather than copied, with their
    checksums computed once per session: the image cache reads them as any uploaded file."""
    image = Image(name=name, disk_format="qcow2", cmdline=cmdline)
    with open(disk, "rb") as file:
        image.disk.save(disk.name, File(file), save=False)
    media = Path(settings.MEDIA_ROOT) / "images"
    media.mkdir(parents=True, exist_ok=True)
    for role, path in (("kernel", kernel(screen=screen)), ("initrd", GUEST_DIR / "initrd.img")):
        link = media / path.name
        if not link.exists():
            link.symlink_to(path)
        getattr(image, role).name = f"images/{path.name}"
    image.checksums = {"kernel": _sha256(kernel(screen=screen)), "initrd": _sha256(GUEST_DIR / "initrd.img")}
    image.save()
    return image


@pytest.fixture
def tiny_image(transactional_db, tmp_path):
    """The tiny guest as an image: kernel + initrd boot, with a small qcow2 disk as its base."""
    return guest_image(name="tiny", disk=blank_disk_image(tmp_path / "tiny-disk.qcow2"))


@pytest.fixture
def screen_image(transactional_db, tmp_path):
    """The tiny guest as an image whose screen shows its console (for VNC/SPICE): boots slower."""
    return guest_image(name="tiny-screen", disk=blank_disk_image(tmp_path / "tiny-disk.qcow2"), screen=True)


@pytest.fixture
def isolated(qemu_conn):
    """A running isolated network with DHCP on the test libvirtd (removed after)."""
    name = unique_name()
    define_network(qemu_conn, name=name, mode="isolated", **random_subnet()).create()
    yield name
    remove_network(qemu_conn, name)


@pytest.fixture
def tiny_flavor(transactional_db):
    return Flavor.objects.create(name="tiny", vcpus=1, memory_mib=128, disk_gib=1)


def guest_of(conn, instance: Instance) -> TinyGuest:
    """The instance as a TinyGuest (serial log, serial console) for checking it from outside."""
    instance.refresh_from_db()
    return TinyGuest(conn=conn, name=instance.name, serial_log=Path(instance.details["serial_log"]))


def instance_volumes(conn, instance_uuid) -> list[str]:
    """Volumes named after the instance in the test instance pool, as the host sees them now."""
    try:
        pool = conn.storagePoolLookupByName("lvc-test-instances")
    except libvirt.libvirtError:
        return []
    pool.refresh(0)
    return sorted(v.name() for v in pool.listAllVolumes(0) if v.name().startswith(str(instance_uuid)))


def remove_instance(conn, instance_uuid, name: str) -> None:
    remove_domain(conn, name)
    remove_volumes(conn, instance_volumes(conn, instance_uuid))


def remove_volumes(conn, names) -> None:
    """Delete these volumes of the test instance pool, each on its own (one failing leaves the rest)."""
    for volume_name in names:
        with contextlib.suppress(libvirt.libvirtError):
            conn.storagePoolLookupByName("lvc-test-instances").storageVolLookupByName(volume_name).delete(0)


@pytest.fixture
def spawn(qemu_conn, qemu_host, tiny_flavor, tiny_image, rq_worker, admin_user):
    """spawn(**options) -> an Instance created by the real spawn job (its outcome asserted)."""
    made: list[tuple] = []

    def make(*, flavor=None, image=None, name=None, expect="succeeded", **options) -> Instance | None:
        name = name or f"{NAME_PREFIX}{uuid.uuid4().hex[:8]}"
        op = create_instance(host=qemu_host, name=name, flavor=flavor or tiny_flavor, image=image or tiny_image,
                             user=admin_user, **options)  # fmt: skip
        instance_uuid = Instance.objects.get(pk=op.target_id).uuid
        made.append((instance_uuid, name))
        op = wait_for_operation(op.pk, timeout=180)
        assert op.status == expect, f"spawn {op.status}: {op.error}"
        return Instance.objects.filter(pk=op.target_id).first()

    yield make
    for instance_uuid, name in made:
        remove_instance(qemu_conn, instance_uuid, name)


@pytest.fixture
def run_op(rq_worker, admin_user):
    """run_op(instance, kind, **params) -> the finished Operation, queued as a user would."""

    def run(instance: Instance, kind: str, *, wait: float = 120, **params):
        op = request_operation(instance=instance, kind=kind, user=admin_user, params=params)
        return wait_for_operation(op.pk, timeout=wait)

    return run


@pytest.fixture
def running(spawn, qemu_conn):
    """A spawned tiny guest that has booted (marker on serial): (instance, TinyGuest)."""
    instance = spawn()
    guest = guest_of(qemu_conn, instance)
    guest.wait_for_serial(MARKER, timeout=90)
    return instance, guest


def succeeded(op):
    """The operation, asserted to have succeeded (its error in the message otherwise)."""
    assert op.status == "succeeded", f"{op.kind} {op.status}: {op.error}"
    return op


def in_guest(guest: TinyGuest, command: str) -> str:
    """What `command` prints in the guest (its output up to an end mark the command line does not contain)."""
    text = guest.run_on_serial(f"{command}; echo END-$((6*7))", "END-42", timeout=30)
    return text.rsplit("END-$((6*7))", 1)[-1]


def wait_in_guest(guest: TinyGuest, command: str, expect: str, *, present: bool = True, timeout: float = 60) -> str:
    """Run `command` in the guest every second until its output has `expect` (or, not `present`, lacks it)."""
    deadline = time.monotonic() + timeout
    while True:
        out = in_guest(guest, command)
        if (expect in out) == present:
            return out
        assert time.monotonic() < deadline, f"{command!r}: {expect!r} {'never' if present else 'still'} seen: {out!r}"
        time.sleep(1)
