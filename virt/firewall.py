"""An instance's firewall, like Nova's libvirt firewall driver: a per-instance network filter
(lvc-instance-<uuid>) that references a base filter of the host (e.g. clean-traffic), put on
the instance's NICs with a <filterref>, and removed with the instance."""

import ipaddress

import libvirt
from lxml import etree

from virt.errors import NotFound, Unsupported, VirtError, translated
from virt.names import check_name
from virt.xml.domain import Interface, parse

PREFIX = "lvc-instance-"


class FirewallError(VirtError):
    """The instance's filter cannot be made or changed; the message says why."""


def filter_name(uuid: str) -> str:
    """The name of an instance's own filter."""
    return f"{PREFIX}{uuid}"


@translated
def _base_exists(conn: libvirt.virConnect, base: str) -> None:
    try:
        conn.nwfilterLookupByName(base)
    except libvirt.libvirtError as error:
        if error.get_error_code() == libvirt.VIR_ERR_NO_NWFILTER:
            raise FirewallError(f"The host has no network filter {base!r} to build the firewall on.") from None
        raise


@translated
def define_instance_filter(conn: libvirt.virConnect, uuid: str, base: str) -> str:
    """Define (or redefine) the instance's filter as a reference to the host's filter `base`."""
    check_name(base)
    _base_exists(conn, base)
    root = etree.Element("filter", name=filter_name(uuid), chain="root")
    try:  # redefining keeps the filter's UUID (libvirt refuses another)
        etree.SubElement(root, "uuid").text = conn.nwfilterLookupByName(filter_name(uuid)).UUIDString()
    except libvirt.libvirtError as error:
        if error.get_error_code() != libvirt.VIR_ERR_NO_NWFILTER:
            raise
    etree.SubElement(root, "filterref", filter=base)
    return conn.nwfilterDefineXML(etree.tostring(root, encoding="unicode")).name()


def remove_instance_filter(conn: libvirt.virConnect, uuid: str) -> bool:
    """Undefine the instance's filter; False when there was none (or the driver has no filters)."""
    try:
        _undefine(conn, filter_name(uuid))
    except (NotFound, Unsupported):
        return False
    return True


@translated
def _undefine(conn: libvirt.virConnect, name: str) -> None:
    conn.nwfilterLookupByName(name).undefine()


def check_ip(text: str) -> str:
    """`text` if it is an IPv4 or IPv6 address (a filter's IP parameter), else FirewallError."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise FirewallError(f"{text!r} is not an IP address.") from None
    return text


def _nic(domain: libvirt.virDomain, mac: str, flags: int) -> etree._Element:
    for element in parse(domain.XMLDesc(flags)).findall("devices/interface"):
        mac_element = element.find("mac")
        if mac_element is not None and mac_element.get("address", "").lower() == mac.lower():
            return element
    raise FirewallError(f"This instance has no network interface {mac}.")


@translated
def set_nic_filter(domain: libvirt.virDomain, mac: str, name: str, params: dict[str, str] | None = None) -> None:
    """Put the filter `name` (with `params`, e.g. IP) on the NIC `mac`, or take its filter off
    (""), in the running guest and in the definition (updateDevice)."""
    if params and "IP" in params:
        check_ip(params["IP"])
    flags = []
    if domain.isActive():
        flags.append((0, libvirt.VIR_DOMAIN_AFFECT_LIVE))
    if domain.isPersistent():
        flags.append((libvirt.VIR_DOMAIN_XML_INACTIVE, libvirt.VIR_DOMAIN_AFFECT_CONFIG))
    for xml_flags, affect in flags:
        element = _nic(domain, mac, xml_flags)
        for old in element.findall("filterref"):
            element.remove(old)
        if name:
            wanted = Interface(type="network", source="", filter=name, filter_params=params or {})
            element.append(wanted.to_element().find("filterref"))
        domain.updateDeviceFlags(etree.tostring(element, encoding="unicode"), affect)
