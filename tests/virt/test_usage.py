"""virt.usage on the real libvirtd: which files defined (never started) domains use, and what
each volume stands on."""

import subprocess
import uuid

import pytest
from lxml import etree

from tests.support.pools import remove_pool
from virt import images, storage
from virt.usage import read_host_files
from virt.xml.domain import Domain


@pytest.fixture
def pool(qemu_conn, tmp_path):
    """A running dir pool holding base.img (raw) and disk.qcow2, an overlay standing on it."""
    tmp_path.chmod(0o755)
    name = f"lvc-test-{uuid.uuid4().hex[:10]}"
    try:
        storage.define_dir_pool(qemu_conn, name=name, path=str(tmp_path / "pool"))
        storage.create_volume(qemu_conn, name, name="base.img", capacity=1024**2, fmt="raw")
        base = storage.volume_file(qemu_conn, name, "base.img")[0]
        images.create_overlay(qemu_conn, name, "disk.qcow2", backing=base, backing_format="raw", capacity=1024**2)
        yield name, tmp_path / "pool"
    finally:
        remove_pool(qemu_conn, name)


def test_defined_domains_disks_and_kernels_and_the_overlays_backing_file_are_read(qemu_conn, pool, domain_using):
    name, folder = pool
    storage.create_volume(qemu_conn, name, name="vmlinuz", capacity=1024, fmt="raw")
    disk_user = domain_using(str(folder / "disk.qcow2"))
    kernel_user = domain_using(kernel=str(folder / "vmlinuz"))

    files = read_host_files(qemu_conn)

    assert files.users[str(folder / "disk.qcow2")] == {disk_user}
    assert files.users[str(folder / "vmlinuz")] == {kernel_user}
    assert str(folder / "base.img") not in files.users
    assert files.backing[str(folder / "disk.qcow2")] == str(folder / "base.img")
    assert files.volumes[str(folder / "base.img")] == (name, "base.img")
    assert files.pool_dirs[name] == str(folder)


def test_a_disk_naming_a_pool_volume_and_an_overlay_made_outside_libvirt_are_seen(qemu_conn, pool, domain_using):
    name, folder = pool
    outside = folder / "outside.qcow2"  # as an external snapshot leaves it: libvirt learns of it on a refresh
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(folder / "disk.qcow2"), "-F", "qcow2",
                    str(outside)], check=True)  # fmt: skip
    by_file = domain_using(str(outside))
    by_volume = Domain.from_xml(qemu_conn.lookupByName(domain_using()).XMLDesc(0))
    element = by_volume.to_element()
    disk = etree.SubElement(element.find("devices"), "disk", type="volume", device="disk")
    etree.SubElement(disk, "source", pool=name, volume="base.img")
    etree.SubElement(disk, "target", dev="vda", bus="virtio")
    qemu_conn.defineXML(etree.tostring(element, encoding="unicode"))

    files = read_host_files(qemu_conn)

    assert files.users[str(outside)] == {by_file}
    assert files.backing[str(outside)] == str(folder / "disk.qcow2")
    assert files.users[str(folder / "base.img")] == {by_volume.name}
