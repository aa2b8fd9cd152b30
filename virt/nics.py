"""A domain's network interfaces (NICs): attach one on a libvirt network or a host bridge, detach
it (waiting for the guest), and set its link up or down. A NIC is named by its MAC."""

import random

import libvirt
from lxml import etree

from virt.devices import DeviceError, affect, both_definitions, detach, find
from virt.errors import translated
from virt.policy import VIF_MODELS as MODELS
from virt.xml.domain import Interface

KINDS = ("network", "bridge")


def _mac(element: etree._Element) -> str:
    mac = element.find("mac")
    return "" if mac is None else mac.get("address", "").lower()


def _is(mac: str):
    return lambda element: _mac(element) == mac.lower()


def new_mac(taken: set[str]) -> str:
    """A random MAC in QEMU's 52:54:00 range that is not in `taken`."""
    while True:
        mac = "52:54:00:" + ":".join(f"{random.randint(0, 255):02x}" for _ in range(3))
        if mac not in taken:
            return mac


@translated
def attach_nic(domain: libvirt.virDomain, *, kind: str, source: str, model: str = "virtio") -> str:
    """Attach a NIC on network or bridge `source` (live and persistent); returns its new MAC."""
    if kind not in KINDS:
        raise DeviceError(f"Unknown interface type {kind!r}: choose one of {', '.join(KINDS)}.")
    if model not in MODELS:
        raise DeviceError(f"Unknown NIC model {model!r}: choose one of {', '.join(MODELS)}.")
    if kind == "network":
        try:
            domain.connect().networkLookupByName(source)
        except libvirt.libvirtError:
            raise DeviceError(f"There is no network {source!r} on this host.") from None
    mac = new_mac({_mac(element) for element in both_definitions(domain, "interface")})
    nic = Interface(type=kind, source=source, mac=mac, model=model)
    domain.attachDeviceFlags(etree.tostring(nic.to_element(), encoding="unicode"), affect(domain))
    return mac


@translated
def detach_nic(domain: libvirt.virDomain, mac: str, *, timeout: float, retry: float = 5.0) -> None:
    """Detach the NIC with `mac` (devices.detach: the guest must let go within `timeout`)."""
    detach(domain, "interface", _is(mac), what=f"network interface {mac}", timeout=timeout, retry=retry)


@translated
def set_link(domain: libvirt.virDomain, mac: str, *, up: bool) -> None:
    """Plug (up) or unplug (down) the virtual cable of the NIC with `mac`, live and persistent."""
    element = find(domain, "interface", _is(mac), inactive=not domain.isActive())
    if element is None:
        raise DeviceError(f"This instance has no network interface {mac}.")
    link = element.find("link")
    if link is None:
        link = etree.SubElement(element, "link")
    link.set("state", "up" if up else "down")
    domain.updateDeviceFlags(etree.tostring(element, encoding="unicode"), affect(domain))
