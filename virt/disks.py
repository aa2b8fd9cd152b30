"""A domain's disks: attach and detach (live and in the definition), grow, swap the volume under
a running disk (block copy + pivot), change CD-ROM media, and read what the disks hold.

Target names are picked like Nova's get_next_device_name: the one asked for when it is free
and fits the bus, else the first free vdX / sdX / hdX, counting the live and the persistent
definition (a disk may be in one only)."""

import time
from collections.abc import Callable

import libvirt
from lxml import etree

from virt.errors import VirtError, translated
from virt.xml.domain import Disk, disk_source, parse
from virt.xml.edit import PREFIX_BY_BUS, set_disk_source, split_target, target_name

BUSES = tuple(PREFIX_BY_BUS)


class DiskError(VirtError):
    """A disk change that cannot be made; the message says why."""


def _affect(domain: libvirt.virDomain) -> int:
    """Change the running guest and the definition, whichever exist."""
    flags = libvirt.VIR_DOMAIN_AFFECT_LIVE if domain.isActive() else 0
    return flags | (libvirt.VIR_DOMAIN_AFFECT_CONFIG if domain.isPersistent() else 0)


def _disk_elements(domain: libvirt.virDomain, *, inactive: bool = False) -> list[etree._Element]:
    flags = libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0
    return parse(domain.XMLDesc(flags)).findall("devices/disk")


def _target(element: etree._Element) -> str:
    target = element.find("target")
    return "" if target is None else target.get("dev", "")


def _both_definitions(domain: libvirt.virDomain) -> list[etree._Element]:
    elements = _disk_elements(domain)
    if domain.isActive() and domain.isPersistent():
        elements += _disk_elements(domain, inactive=True)
    return elements


@translated
def list_disks(domain: libvirt.virDomain) -> list[Disk]:
    """The disks of the live definition (the persistent one when the guest is off)."""
    return [Disk.from_element(element) for element in _disk_elements(domain)]


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
    taken = {split[1] for split in map(split_target, used) if split and split[0] == prefix}
    index = 0
    while index in taken:
        index += 1
    return target_name(prefix, index)


@translated
def attach_disk(domain: libvirt.virDomain, *, source: str, fmt: str, bus: str = "virtio", target: str = "",
                device: str = "disk", readonly: bool = False) -> str:  # fmt: skip
    """Attach the file `source` (live and persistent); returns the target name it got."""
    elements = _both_definitions(domain)
    for element in elements:
        if source and disk_source(element) == source:
            raise DiskError(f"{source} is already attached to this instance as {_target(element)}.")
    name = pick_target({_target(element) for element in elements}, bus, target)
    disk = Disk(target=name, source=source, device=device, bus=bus, format=fmt, readonly=readonly)
    domain.attachDeviceFlags(etree.tostring(disk.to_element(), encoding="unicode"), _affect(domain))
    return name


def _find(elements: list[etree._Element], target: str) -> etree._Element | None:
    return next((element for element in elements if _target(element) == target), None)


@translated
def detach_disk(domain: libvirt.virDomain, target: str, *, timeout: float, retry: float = 5.0) -> None:
    """Detach the disk at `target`: from the running guest first, asking again every `retry`
    seconds until the guest lets go or `timeout` passes (then the disk stays, definition and
    all, and DiskError says so); then from the persistent definition."""
    live = _find(_disk_elements(domain), target) if domain.isActive() else None
    persistent = _find(_disk_elements(domain, inactive=True), target) if domain.isPersistent() else None
    if live is None and persistent is None:
        raise DiskError(f"This instance has no disk {target}.")
    if live is not None:
        xml = etree.tostring(live, encoding="unicode")
        deadline = time.monotonic() + timeout
        while True:
            domain.detachDeviceFlags(xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            if _wait_gone(domain, target, min(retry, max(0.0, deadline - time.monotonic()))):
                break
            if time.monotonic() >= deadline:
                raise DiskError(
                    f"The guest did not release {target} within {timeout:g} s (still mounted, or the guest "
                    "ignores hot-unplug); it stays attached."
                )
    if persistent is not None:
        domain.detachDeviceFlags(etree.tostring(persistent, encoding="unicode"), libvirt.VIR_DOMAIN_AFFECT_CONFIG)


def _wait_gone(domain: libvirt.virDomain, target: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if not domain.isActive() or _find(_disk_elements(domain), target) is None:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.25)


@translated
def grow_disk(domain: libvirt.virDomain, target: str, capacity: int) -> None:
    """Grow the disk at `target` to `capacity` bytes: live (blockResize) when the guest runs,
    else its volume (the file must be a volume of a storage pool)."""
    element = _find(_disk_elements(domain), target)
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
    element = _find(_disk_elements(domain, inactive=not domain.isActive()), target)
    if element is None or element.get("device") not in ("cdrom", "floppy"):
        raise DiskError(f"{target} is not a CD-ROM drive of this instance.")
    root = etree.Element("domain")
    devices = etree.SubElement(root, "devices")
    devices.append(element)
    set_disk_source(root, target, source)
    flags = _affect(domain) | (libvirt.VIR_DOMAIN_DEVICE_MODIFY_FORCE if not source else 0)
    domain.updateDeviceFlags(etree.tostring(element, encoding="unicode"), flags)


@translated
def swap_disk(domain: libvirt.virDomain, target: str, *, source: str, fmt: str,
              progress: Callable[[int, int], None] | None = None, timeout: float = 3600) -> None:  # fmt: skip
    """Copy the running disk at `target` onto the existing file `source` and switch the guest to
    it (block copy, then pivot); the persistent definition follows. The old file is kept."""
    if not domain.isActive():
        raise DiskError("Swapping a volume live needs the guest running.")
    element = _find(_disk_elements(domain), target)
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
        _pivot_when_ready(domain, target, progress, timeout)
    except BaseException:
        _abort(domain, target)
        raise
    if domain.isPersistent():
        root = parse(domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE))
        set_disk_source(root, target, source)
        driver = _find(root.findall("devices/disk"), target).find("driver")
        if driver is not None:
            driver.set("type", fmt)
        domain.connect().defineXML(etree.tostring(root, encoding="unicode"))


def _pivot_when_ready(domain, target: str, progress, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        info = domain.blockJobInfo(target, 0)
        if not info:
            raise DiskError(f"The copy of {target} stopped before it finished.")
        if progress is not None:
            progress(info["cur"], info["end"])
        if info["end"] and info["cur"] == info["end"]:
            try:
                domain.blockJobAbort(target, libvirt.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT)
                return
            except libvirt.libvirtError as error:
                if "not ready" not in str(error) and "ready for pivot" not in str(error):
                    raise
        if time.monotonic() >= deadline:
            raise DiskError(f"The copy of {target} did not finish within {timeout:g} s.")
        time.sleep(0.2)


def _abort(domain, target: str) -> None:
    try:
        domain.blockJobAbort(target, 0)
    except libvirt.libvirtError:
        pass  # no job left to abort
