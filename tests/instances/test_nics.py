"""Network interfaces of a running tiny guest, changed by the real jobs on an isolated libvirt
network with DHCP, and checked in libvirt's definitions and inside the guest."""

import libvirt
import pytest
from lxml import etree

from hosts.services import probe
from instances.device_stats import device_rows
from instances.models import Instance
from tests.support.instances import in_guest, succeeded, wait_in_guest

pytestmark = pytest.mark.qemu


def macs(guest, *, inactive: bool = False) -> dict[str, str]:
    """{mac: link state} of the live (or persistent) definition."""
    root = etree.fromstring(guest.domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0))
    return {nic.find("mac").get("address"): (nic.find("link").get("state") if nic.find("link") is not None else "up")
            for nic in root.findall("devices/interface")}  # fmt: skip


def test_nic_attached_gets_a_lease_shows_traffic_and_link_state_then_detaches(running, run_op, isolated):
    instance, guest = running
    op = succeeded(run_op(instance, "instance.attach_interface", type="network", source=isolated))
    mac = op.result["mac"]
    assert mac in macs(guest) and mac in macs(guest, inactive=True)
    wait_in_guest(guest, "cat /sys/class/net/eth0/address", mac)

    in_guest(guest, "ip link set eth0 up")
    wait_in_guest(guest, "cat /sys/class/net/eth0/carrier", "1")
    in_guest(guest, "udhcpc -i eth0 -n -q -t 10 -s /bin/true")  # a real lease from libvirt's dnsmasq

    succeeded(run_op(instance, "instance.set_link", mac=mac, up=False))
    assert macs(guest)[mac] == "down" and macs(guest, inactive=True)[mac] == "down"
    wait_in_guest(guest, "cat /sys/class/net/eth0/carrier", "0")
    succeeded(run_op(instance, "instance.set_link", mac=mac, up=True))
    wait_in_guest(guest, "cat /sys/class/net/eth0/carrier", "1")

    probe(instance.host)  # the host's networks and their leases, as the monitor reads them
    instance = Instance.objects.select_related("host").get(pk=instance.pk)
    _disks, nics, _at = device_rows(instance)
    nic = next(nic for nic in nics if nic["mac"] == mac)
    assert nic["link"] == "up" and nic["source"] == isolated
    assert nic["addresses"] and nic["addresses"][0].startswith("10.252.")  # from the DHCP lease
    assert nic["tx_bytes"] > 0 and nic["rx_bytes"] > 0  # the DHCP exchange, counted on the host side

    succeeded(run_op(instance, "instance.detach_interface", mac=mac))
    assert mac not in macs(guest) and mac not in macs(guest, inactive=True)
    wait_in_guest(guest, "ls /sys/class/net", "eth0", present=False)


def test_unknown_network_fails_with_libvirt_s_reason(running, run_op):
    instance, guest = running
    op = run_op(instance, "instance.attach_interface", type="network", source="lvc-test-no-such-network")
    assert (op.status, op.error) == ("failed", "There is no network 'lvc-test-no-such-network' on this host.")
    assert macs(guest) == {} and macs(guest, inactive=True) == {}
