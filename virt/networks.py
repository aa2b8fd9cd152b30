"""Virtual networks: what a host has (read), checks of new ones, and changes to them."""

import ipaddress
import re

import libvirt
from lxml import etree

from virt.errors import VirtError, translate, translated
from virt.names import NAME_RULE, InvalidName, check_name  # noqa: F401  (re-exported for forms)

MODES = ("nat", "isolated", "bridged")
BRIDGE_RULE = "Use 1 to 15 letters, digits, '-', '_' or '.'."
_BRIDGE = re.compile(r"[A-Za-z0-9_.-]{1,15}")
_UNSUPPORTED = {libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED, libvirt.VIR_ERR_OPERATION_UNSUPPORTED}


class InvalidNetwork(VirtError):
    """A network setting that is refused before libvirt sees it."""


# --- Reading -------------------------------------------------------------------------------------


def _leases(network: libvirt.virNetwork) -> list[dict]:
    """The DHCP leases of an active network; [] where the driver has none."""
    try:
        leases = network.DHCPLeases()
    except libvirt.libvirtError as error:
        if error.get_error_code() in _UNSUPPORTED:
            return []
        raise
    keys = ("mac", "ipaddr", "hostname", "expirytime")
    return sorted(({key: lease.get(key) or "" for key in keys} for lease in leases), key=lambda lease: lease["ipaddr"])


def read_networks(conn: libvirt.virConnect) -> list[dict]:
    """Every network as plain JSON-able dicts, sorted by name."""
    networks = []
    for network in conn.listAllNetworks(0):
        tree = etree.fromstring(network.XMLDesc(0))
        forward = tree.find("forward")
        bridge = tree.find("bridge")
        active = bool(network.isActive())
        ips = [
            {
                "address": ip.get("address", ""),
                "netmask": ip.get("netmask", ""),
                "prefix": ip.get("prefix", ""),
                "dhcp": [{"start": r.get("start", ""), "end": r.get("end", "")} for r in ip.findall("dhcp/range")],
            }
            for ip in tree.findall("ip")
        ]
        networks.append(
            {
                "name": network.name(),
                "uuid": network.UUIDString(),
                "active": active,
                "autostart": bool(network.autostart()),
                "persistent": bool(network.isPersistent()),
                "forward": forward.get("mode", "nat") if forward is not None else "isolated",
                "bridge": bridge.get("name", "") if bridge is not None else "",
                "ips": ips,
                "leases": _leases(network) if active else [],
            }
        )
    return sorted(networks, key=lambda network: network["name"])


# --- Checks (the forms reuse them) ---------------------------------------------------------------


def check_bridge(value: str) -> str:
    """A Linux bridge device name (the kernel allows at most 15 characters)."""
    if not _BRIDGE.fullmatch(value or ""):
        raise InvalidNetwork(f"{value!r} is not a valid bridge name. {BRIDGE_RULE}")
    return value


def check_subnet(address: str, prefix) -> ipaddress.IPv4Interface:
    """The host's IPv4 address on the network with its prefix length, e.g. 10.0.5.1 and 24."""
    try:
        ip = ipaddress.IPv4Address(str(address).strip())
    except ValueError:
        raise InvalidNetwork(f"{address!r} is not an IPv4 address (e.g. 10.0.5.1).") from None
    try:
        prefix = int(prefix)
    except (TypeError, ValueError):
        raise InvalidNetwork(f"{prefix!r} is not a prefix length (8 to 30).") from None
    if not 8 <= prefix <= 30:
        raise InvalidNetwork("The prefix length must be between 8 and 30.")
    interface = ipaddress.IPv4Interface((ip, prefix))
    if ip in (interface.network.network_address, interface.network.broadcast_address):
        raise InvalidNetwork(f"{ip} is the network or broadcast address of {interface.network}; use a host address.")
    return interface


def check_dhcp_range(interface: ipaddress.IPv4Interface, start: str, end: str) -> tuple[str, str]:
    """A DHCP range inside the subnet of `interface`, start <= end, not covering the gateway."""
    bounds = []
    for label, value in (("start", start), ("end", end)):
        try:
            ip = ipaddress.IPv4Address(str(value).strip())
        except ValueError:
            raise InvalidNetwork(f"The DHCP {label} {value!r} is not an IPv4 address.") from None
        hosts = interface.network
        if ip not in hosts or ip in (hosts.network_address, hosts.broadcast_address):
            raise InvalidNetwork(f"The DHCP {label} {ip} is not a host address of {hosts}.")
        bounds.append(ip)
    first, last = bounds
    if first > last:
        raise InvalidNetwork(f"The DHCP range starts ({first}) after it ends ({last}).")
    if first <= interface.ip <= last:
        raise InvalidNetwork(f"The DHCP range must not include the gateway address {interface.ip}.")
    return str(first), str(last)


# --- XML (lxml only) -----------------------------------------------------------------------------


def network_xml(
    *, name: str, mode: str, bridge: str = "", address: str = "", prefix=None, dhcp_start: str = "", dhcp_end: str = ""
) -> str:
    """The XML of a new network, every input checked again here."""
    if mode not in MODES:
        raise InvalidNetwork(f"Unknown network mode {mode!r}: use one of {', '.join(MODES)}.")
    root = etree.Element("network")
    etree.SubElement(root, "name").text = check_name(name)
    if mode == "bridged":
        etree.SubElement(root, "forward", mode="bridge")
        etree.SubElement(root, "bridge", name=check_bridge(bridge))
        return etree.tostring(root, encoding="unicode")
    if mode == "nat":
        etree.SubElement(root, "forward", mode="nat")
    if bridge:
        etree.SubElement(root, "bridge", name=check_bridge(bridge), stp="on", delay="0")
    interface = check_subnet(address, prefix)
    ip = etree.SubElement(root, "ip", address=str(interface.ip), prefix=str(interface.network.prefixlen))
    if dhcp_start or dhcp_end:
        first, last = check_dhcp_range(interface, dhcp_start, dhcp_end)
        etree.SubElement(etree.SubElement(ip, "dhcp"), "range", start=first, end=last)
    return etree.tostring(root, encoding="unicode")


# --- Changes -------------------------------------------------------------------------------------


def define_network(conn: libvirt.virConnect, **spec) -> libvirt.virNetwork:
    """Define (persistently, not started) a network from `network_xml`'s keyword arguments."""
    xml = network_xml(**spec)
    try:
        return conn.networkDefineXML(xml)
    except libvirt.libvirtError as error:
        translated = translate(error)
        if type(translated) is VirtError:  # not a known kind: libvirt refused the XML
            detail = translated.detail
            raise InvalidNetwork(f"libvirt refused the network: {detail}", detail=detail) from None
        raise translated from None


@translated
def start_network(conn: libvirt.virConnect, name: str) -> None:
    conn.networkLookupByName(name).create()


@translated
def stop_network(conn: libvirt.virConnect, name: str) -> None:
    """Stop (destroy) a running network; its definition stays."""
    conn.networkLookupByName(name).destroy()


@translated
def set_autostart(conn: libvirt.virConnect, name: str, on: bool) -> None:
    conn.networkLookupByName(name).setAutostart(1 if on else 0)


@translated
def delete_network(conn: libvirt.virConnect, name: str) -> None:
    """Stop the network if it runs, then remove its definition."""
    network = conn.networkLookupByName(name)
    if network.isActive():
        network.destroy()
    if network.isPersistent():
        network.undefine()
