"""What disks and network interfaces share: a change made to the running guest and to the
persistent definition together, and hot-unplug that waits for the guest to let go."""

import time
from collections.abc import Callable

import libvirt
from lxml import etree

from virt import stopping
from virt.errors import VirtError
from virt.xml.domain import parse

Match = Callable[[etree._Element], bool]


class DeviceError(VirtError):
    """A device change that cannot be made; the message says why."""


def affect(domain: libvirt.virDomain) -> int:
    """Flags for the running guest and the definition, whichever exist."""
    flags = libvirt.VIR_DOMAIN_AFFECT_LIVE if domain.isActive() else 0
    return flags | (libvirt.VIR_DOMAIN_AFFECT_CONFIG if domain.isPersistent() else 0)


def elements(domain: libvirt.virDomain, tag: str, *, inactive: bool = False) -> list[etree._Element]:
    """The <tag> devices of the live definition (or the persistent one)."""
    flags = libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0
    return parse(domain.XMLDesc(flags)).findall(f"devices/{tag}")


def both_definitions(domain: libvirt.virDomain, tag: str) -> list[etree._Element]:
    """The <tag> devices of the live and the persistent definition (a device may be in one only)."""
    found = elements(domain, tag)
    if domain.isActive() and domain.isPersistent():
        found += elements(domain, tag, inactive=True)
    return found


def find(domain: libvirt.virDomain, tag: str, match: Match, *, inactive: bool = False) -> etree._Element | None:
    return next((element for element in elements(domain, tag, inactive=inactive) if match(element)), None)


def detach(domain: libvirt.virDomain, tag: str, match: Match, *, what: str, timeout: float, retry: float = 5.0,
           hint: str = "the guest ignores hot-unplug") -> None:  # fmt: skip
    """Detach the device `match` picks: from the running guest first, asking again every `retry`
    seconds until the guest lets go or `timeout` passes (then it stays, definition and all, and
    DeviceError says so); then from the persistent definition."""
    live = find(domain, tag, match) if domain.isActive() else None
    persistent = find(domain, tag, match, inactive=True) if domain.isPersistent() else None
    if live is None and persistent is None:
        raise DeviceError(f"This instance has no {what}.")
    if live is not None:
        xml = etree.tostring(live, encoding="unicode")
        deadline = time.monotonic() + timeout
        while True:
            domain.detachDeviceFlags(xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            try:
                gone = _wait_gone(domain, tag, match, min(retry, max(0.0, deadline - time.monotonic())))
            except stopping.Stopped:
                raise stopping.Stopped(
                    f"{what} stays in the definition; the running guest was asked to release it and may still do so"
                ) from None
            if gone:
                break
            if time.monotonic() >= deadline:
                raise DeviceError(f"The guest did not release {what} within {timeout:g} s ({hint}); it stays attached.")
    if persistent is not None:
        domain.detachDeviceFlags(etree.tostring(persistent, encoding="unicode"), libvirt.VIR_DOMAIN_AFFECT_CONFIG)


def _wait_gone(domain: libvirt.virDomain, tag: str, match: Match, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if not domain.isActive() or find(domain, tag, match) is None:
            return True
        if time.monotonic() >= deadline:
            return False
        stopping.sleep(0.25)
