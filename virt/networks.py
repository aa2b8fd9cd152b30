"""Virtual networks: what a host has (read), and changes to them."""

import libvirt
from lxml import etree


def read_networks(conn: libvirt.virConnect) -> list[dict]:
    """Every network as plain JSON-able dicts, sorted by name."""
    networks = []
    for network in conn.listAllNetworks(0):
        tree = etree.fromstring(network.XMLDesc(0))
        forward = tree.find("forward")
        bridge = tree.find("bridge")
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
                "active": bool(network.isActive()),
                "autostart": bool(network.autostart()),
                "persistent": bool(network.isPersistent()),
                "forward": forward.get("mode", "nat") if forward is not None else "isolated",
                "bridge": bridge.get("name", "") if bridge is not None else "",
                "ips": ips,
            }
        )
    return sorted(networks, key=lambda network: network["name"])
