"""Rebuild: a guest gets a fresh root disk and config drive, and the boot files of its (new) image;
its name, UUID, NIC MACs and every other device stay as defined."""

import libvirt
from lxml import etree

from virt import images
from virt.errors import translated
from virt.xml.domain import Boot
from virt.xml.edit import set_boot


def rebuilt_definition(xml: str, *, kernel: str, initrd: str, cmdline: str) -> str:
    """The guest's definition booting `kernel` + `initrd` with `cmdline` (all "": from its disk)."""
    root = etree.fromstring(xml.encode())
    set_boot(root, Boot(kernel=kernel, initrd=initrd, cmdline=cmdline))
    return etree.tostring(root, encoding="unicode")


@translated
def replace_root(conn: libvirt.virConnect, path: str, *, backing: str, backing_format: str, capacity: int) -> str:
    """The volume at `path` deleted and made anew, same name and pool: an empty overlay on `backing`."""
    volume = conn.storageVolLookupByPath(path)
    pool, name = volume.storagePoolLookupByVolume().name(), volume.name()
    volume.delete(0)
    return images.create_overlay(conn, pool, name, backing=backing, backing_format=backing_format, capacity=capacity)


@translated
def replace_contents(conn: libvirt.virConnect, path: str, data: bytes) -> str:
    """The volume at `path` deleted and written anew with `data` (a config drive), same name and pool."""
    volume = conn.storageVolLookupByPath(path)
    pool, name = volume.storagePoolLookupByVolume().name(), volume.name()
    volume.delete(0)
    return images.write_volume(conn, pool, name, data)
