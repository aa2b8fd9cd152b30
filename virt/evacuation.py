"""Evacuation: a guest whose host is down defined anew on another host from the definition the
inventory kept of it (virt.domains), and the stale domain it left on the old host removed when
that host answers again."""

import libvirt
from lxml import etree

from virt import consoles
from virt.errors import NotFound, translated
from virt.guest import Guest
from virt.migration import FileDisk, file_disks, listening_on
from virt.migration_storage import has_volume


def evacuated_definition(xml: str, console_address: str) -> str:
    """The kept definition as the new host defines it: its consoles listening on that host's console
    address with fresh passwords (the kept definition has none)."""
    root = etree.fromstring(xml.encode())
    for graphics in root.iterfind("devices/graphics"):
        if graphics.get("type") in ("vnc", "spice"):
            graphics.set("passwd", consoles.unguessable_password())
    return listening_on(etree.tostring(root, encoding="unicode"), console_address)


def disks_not_seen(conn: libvirt.virConnect, xml: str) -> list[FileDisk]:
    """The guest's file disks the host behind `conn` has no volume at: storage it does not share."""
    return [disk for disk in file_disks(xml) if not has_volume(conn, disk.path)]


@translated
def remove_stale_domain(conn: libvirt.virConnect, uuid: str) -> bool:
    """The stale domain of an evacuated guest stopped (if anything started it) and undefined, with
    its NVRAM and snapshot metadata; False when there is none."""
    try:
        guest = Guest.lookup(conn, uuid)
    except NotFound:
        return False
    guest.destroy()
    guest.undefine()
    return True
