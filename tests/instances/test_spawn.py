"""Spawning on the real host: flavor + tiny kernel/initrd image → job → the guest boots."""

import subprocess
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from lxml import etree

from instances.images.cache import cache_image
from instances.models import CachedImage, Image, Instance, InstanceState
from jobs.models import Operation
from jobs.services import start_operation
from tests.support.configdrive import read_nocloud_iso
from tests.support.guest import MARKER
from tests.support.instances import guest_of, instance_volumes
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.qemu


def _download(conn, path: str) -> bytes:
    volume = conn.storageVolLookupByPath(path)
    stream = conn.newStream(0)
    volume.download(stream, 0, 0, 0)
    data = bytearray()
    while chunk := stream.recv(65536):
        data.extend(chunk)
    stream.finish()
    return bytes(data)


def test_spawn_boots_the_guest_from_an_overlay_with_a_config_drive(spawn, qemu_conn, tmp_path):
    instance = spawn(admin_password="s3cret 'quoted' <pw>", ssh_keys=("ssh-ed25519 AAAAC3Nza test@example",))
    guest = guest_of(qemu_conn, instance)
    guest.wait_for_serial(MARKER, timeout=90)

    assert instance.state == InstanceState.RUNNING
    root = etree.fromstring(qemu_conn.lookupByName(instance.name).XMLDesc(0))
    assert root.get("type") == "qemu"
    disk = root.find("devices/disk[@device='disk']")
    assert disk.find("target").get("dev") == "vda"
    backing = disk.find("backingStore/source").get("file")
    assert backing.startswith("/var/lib/libvirt/images/lvc-test-images/disk-")
    cdrom = root.find("devices/disk[@device='cdrom']/source").get("file")
    drive = read_nocloud_iso(_download(qemu_conn, cdrom))
    assert drive["meta-data"]["local-hostname"] == instance.name
    assert drive["user-data"]["ssh_authorized_keys"] == ["ssh-ed25519 AAAAC3Nza test@example"]
    assert drive["user-data"]["chpasswd"]["users"][0]["password"] == "s3cret 'quoted' <pw>"

    # the XML libvirt stored for what we generated passes libvirt's schema
    inactive = tmp_path / "domain.xml"
    inactive.write_text(qemu_conn.lookupByName(instance.name).XMLDesc(2))  # VIR_DOMAIN_XML_INACTIVE
    subprocess.run(["virt-xml-validate", str(inactive), "domain"], check=True, capture_output=True)

    assert sorted(instance_volumes(qemu_conn, instance.uuid)) == [
        f"{instance.uuid}-config.iso",
        f"{instance.uuid}-console.log",
        f"{instance.uuid}-disk.qcow2",
    ]
    assert {c.volume.split("-")[0] for c in CachedImage.objects.filter(host=instance.host)} == {
        "disk",
        "kernel",
        "initrd",
    }
    op = Operation.objects.get(kind="instance.spawn", target_id=str(instance.pk))
    assert "admin_password" not in op.params  # erased once on the config drive
    assert [d["target"] for d in instance.details["disks"]] == ["vda", "hda"]


def test_bad_extra_spec_fails_clearly_and_leaves_nothing(spawn, qemu_conn, tiny_flavor):
    tiny_flavor.extra_specs = {"hw:disk_bus": "floppy"}
    tiny_flavor.save()
    before = {domain.name() for domain in qemu_conn.listAllDomains(0)}
    volumes_before = set(instance_volumes(qemu_conn, ""))
    assert spawn(flavor=tiny_flavor, expect="failed") is None
    op = Operation.objects.get(kind="instance.spawn")
    assert "floppy" in op.error
    assert Instance.objects.count() == 0
    assert set(instance_volumes(qemu_conn, "")) == volumes_before  # the disk and config drive made before were removed
    assert {domain.name() for domain in qemu_conn.listAllDomains(0)} == before  # no domain left defined


def test_unused_cached_images_are_removed_after_their_age(spawn, qemu_conn, qemu_host):
    spawn(start=False)
    in_use = set(CachedImage.objects.values_list("volume", flat=True))
    stale = Image.objects.create(name="stale", disk_format="raw")
    stale.disk.save("stale.img", ContentFile(b"x" * 4096))
    cache_image(qemu_conn, qemu_host, stale)
    stale_volume = (set(CachedImage.objects.values_list("volume", flat=True)) - in_use).pop()
    CachedImage.objects.update(last_used=timezone.now() - timedelta(hours=48))

    op = start_operation(kind="host.image_cache", target=qemu_host, params={"max_age_hours": 24})
    op = wait_for_operation(op.pk)
    assert op.status == "succeeded", op.error
    assert op.message == "Removed 1 unused cached image file(s)"
    assert set(CachedImage.objects.values_list("volume", flat=True)) == in_use  # the instance still needs them
    pool = qemu_conn.storagePoolLookupByName("lvc-test-images")
    pool.refresh(0)
    names = {volume.name() for volume in pool.listAllVolumes(0)}
    assert stale_volume not in names and in_use <= names
