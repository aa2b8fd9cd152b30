"""A domain's disks: attach and detach (live and in the definition), grow, swap the volume under
a running disk (block copy + pivot), change CD-ROM media, and read what the disks hold.

Target names are picked like Nova's get_next_device_name: the one asked for when it is free
and fits the bus, else the first free vdX / sdX / hdX, counting the live and the persistent
definition (a disk may be in one only)."""

from collections.abc import Callable

import libvirt
from lxml import etree

from virt import blockjobs
from virt.devices import DeviceError, affect, both_definitions, detach, find
from virt.errors import translated
from virt.xml.domain import Disk, disk_source, parse
from virt.xml.edit import PREFIX_BY_BUS, disk_target, next_target, set_disk_source, split_target

BUSES = tuple(PREFIX_BY_BUS)


class DiskError(DeviceError):
    """A disk change that cannot be made; the message says why."""


def _find(domain: libvirt.virDomain, target: str, *, inactive: bool = False) -> etree._Element | None:
    return find(domain, "disk", lambda element: disk_target(element) == target, inactive=inactive)


def pick_target(used: set[str], bus: str, requested: str = "") -> str:
    """`requested` when it is free and names a disk on `bus`, else the first free name on it."""
    if bus not in PREFIX_BY_BUS:
        raise DiskError(f"Unknown disk bus {bus!r}: choose one of {', '.join(BUSES)}.")
    prefix = PREFIX_BY_BUS[bus]
    if requested:
        split = split_target(requested)
        if split is None or split[0] != prefix:
            raise DiskError(f"{requested!r} is not a name for a {bus} disk ({prefix}a, {prefix}b, …).")
        if requested in used:
            raise DiskError(f"{requested} is already in use on this instance.")
        return requested
    return next_target(bus, used)


@translated
def attach_disk(domain: libvirt.virDomain, *, source: str, fmt: str, bus: str = "virtio", target: str = "",
                device: str = "disk", readonly: bool = False) -> str:  # fmt: skip
    """Attach the file `source` (live and persistent); returns the target name it got."""
    existing = both_definitions(domain, "disk")
    for element in existing:
        if source and disk_source(element) == source:
            raise DiskError(f"{source} is already attached to this instance as {disk_target(element)}.")
    name = pick_target({disk_target(element) for element in existing}, bus, target)
    disk = Disk(target=name, source=source, device=device, bus=bus, format=fmt, readonly=readonly)
    domain.attachDeviceFlags(etree.tostring(disk.to_element(), encoding="unicode"), affect(domain))
    return name


@translated
def detach_disk(domain: libvirt.virDomain, target: str, *, timeout: float, retry: float = 5.0) -> None:
    """Detach the disk at `target` (devices.detach: the guest must let go within `timeout`)."""
    detach(domain, "disk", lambda element: disk_target(element) == target, what=f"disk {target}", timeout=timeout,
           retry=retry, hint="still mounted, or the guest ignores hot-unplug")  # fmt: skip


@translated
def grow_disk(domain: libvirt.virDomain, target: str, capacity: int) -> None:
    """Grow the disk at `target` to `capacity` bytes: live (blockResize) when the guest runs,
    else its volume (the file must be a volume of a storage pool)."""
    element = _find(domain, target)
    if element is None or element.get("device", "disk") != "disk":
        raise DiskError(f"This instance has no disk {target}.")
    if domain.isActive():
        current = domain.blockInfo(target)[0]
        _check_growth(target, current, capacity)
        domain.blockResize(target, capacity, libvirt.VIR_DOMAIN_BLOCK_RESIZE_BYTES)
        return
    try:
        volume = domain.connect().storageVolLookupByPath(disk_source(element))
    except libvirt.libvirtError:
        raise DiskError(f"{target} is not a volume of a storage pool: grow it while the guest runs.") from None
    _check_growth(target, volume.info()[1], capacity)
    volume.resize(capacity, 0)


def _check_growth(target: str, current: int, capacity: int) -> None:
    if capacity <= current:
        raise DiskError(f"A disk can only grow: {target} has {current} bytes, asked for {capacity}.")


@translated
def change_media(domain: libvirt.virDomain, target: str, source: str) -> None:
    """Insert the file `source` into the CD-ROM drive at `target`, or eject ("")."""
    element = _find(domain, target, inactive=not domain.isActive())
    if element is None or element.get("device") not in ("cdrom", "floppy"):
        raise DiskError(f"{target} is not a CD-ROM drive of this instance.")
    root = etree.Element("domain")
    devices = etree.SubElement(root, "devices")
    devices.append(element)
    set_disk_source(root, target, source)
    flags = affect(domain) | (libvirt.VIR_DOMAIN_DEVICE_MODIFY_FORCE if not source else 0)
    domain.updateDeviceFlags(etree.tostring(element, encoding="unicode"), flags)


@translated
def swap_disk(domain: libvirt.virDomain, target: str, *, source: str, fmt: str,
              progress: Callable[[int, int], None] | None = None, timeout: float = 3600) -> None:  # fmt: skip
    """Copy the running disk at `target` onto the existing file `source` and switch the guest to
    it (block copy, then pivot); the persistent definition follows. The old file is kept."""
    if not domain.isActive():
        raise DiskError("Swapping a volume live needs the guest running.")
    element = _find(domain, target)
    if element is None:
        raise DiskError(f"This instance has no disk {target}.")
    if disk_source(element) == source:
        raise DiskError(f"{target} already uses {source}.")
    destination = etree.Element("disk", type="file")
    etree.SubElement(destination, "driver", name="qemu", type=fmt)
    etree.SubElement(destination, "source", file=source)
    flags = libvirt.VIR_DOMAIN_BLOCK_COPY_REUSE_EXT | libvirt.VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB
    domain.blockCopy(target, etree.tostring(destination, encoding="unicode"), None, flags)
    try:
        blockjobs.finish_when_ready(domain, target, what="copy of", pivot=True, timeout=timeout, progress=progress)
    except BaseException:
        blockjobs.abort(domain, target)
        raise
    if domain.isPersistent():
        root = parse(domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE))
        set_disk_source(root, target, source)
        driver = next(disk for disk in root.findall("devices/disk") if disk_target(disk) == target).find("driver")
        if driver is not None:
            driver.set("type", fmt)
        domain.connect().defineXML(etree.tostring(root, encoding="unicode"))
