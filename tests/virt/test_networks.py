"""virt.networks and virt.nwfilters: XML that libvirt's schemas accept, checks, changes on real drivers."""

import json

import pytest
from lxml import etree

from tests.networks.support import (
    assert_valid_xml,
    random_subnet,
    remove_filter,
    remove_network,
    unique_bridge,
    unique_name,
)
from virt import networks, nwfilters
from virt.errors import InvalidOperation, NotFound

HOSTILE_NAMES = ["", ".hidden", "a'b", 'a"b', "<b>", "a/b", "..", "a b", "ünï", "x" * 101, "a\nb", "a;rm"]


@pytest.fixture
def qemu(qemu_conn):
    """The real libvirtd (each test removes what it creates, in a finally)."""
    return qemu_conn


def spec(mode: str, **overrides) -> dict:
    subnet = random_subnet()
    base = {"name": unique_name(), "mode": mode}
    if mode == "bridged":
        base["bridge"] = "br0"
    else:
        base.update(subnet)
    return {**base, **overrides}


# --- Reading -------------------------------------------------------------------------------------


def test_reading_networks_keeps_its_keys_and_gives_no_leases_where_unsupported(test_conn):
    (default,) = networks.read_networks(test_conn)
    assert default["name"] == "default" and default["active"] and default["forward"] == "nat"
    assert default["bridge"] == "virbr0" and default["ips"][0]["dhcp"] == [
        {"start": "192.168.122.2", "end": "192.168.122.254"}
    ]
    assert default["leases"] == []  # the test driver has no DHCP leases
    json.dumps(default)


def test_reading_filters_gives_rules_references_and_xml(qemu):
    filters = {nwfilter["name"]: nwfilter for nwfilter in nwfilters.read_nwfilters(qemu)}
    clean = filters["clean-traffic"]
    assert clean["chain"] == "root" and clean["rules"] >= 1 and "no-mac-spoofing" in clean["refs"]
    assert etree.fromstring(clean["xml"]).get("name") == "clean-traffic"
    json.dumps(clean)


# --- XML -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "network",
    [
        spec("nat"),
        spec("nat", bridge=unique_bridge(), dhcp_start="", dhcp_end=""),
        spec("isolated"),
        spec("isolated", bridge=unique_bridge(), prefix=16, dhcp_start="", dhcp_end=""),
        spec("bridged"),
    ],
    ids=["nat", "nat-own-bridge-no-dhcp", "isolated", "isolated-own-bridge", "bridged"],
)
def test_every_generated_network_xml_passes_libvirts_schema(network, tmp_path):
    xml = networks.network_xml(**network)
    assert_valid_xml(xml, "network", tmp_path)
    tree = etree.fromstring(xml)
    forward = tree.find("forward")
    assert {"nat": "nat", "isolated": None, "bridged": "bridge"}[network["mode"]] == (
        forward.get("mode") if forward is not None else None
    )
    assert (tree.find("ip") is None) == (network["mode"] == "bridged")


def test_isolated_network_xml_has_the_subnet_and_dhcp_range():
    tree = etree.fromstring(networks.network_xml(**spec("isolated", address="10.252.7.1", dhcp_start="10.252.7.100",
                                                          dhcp_end="10.252.7.199")))  # fmt: skip
    ip = tree.find("ip")
    assert (ip.get("address"), ip.get("prefix")) == ("10.252.7.1", "24")
    assert dict(ip.find("dhcp/range").attrib) == {"start": "10.252.7.100", "end": "10.252.7.199"}


def test_admin_filter_xml_is_kept_and_passes_the_schema(tmp_path):
    text = (
        "<filter name='lvc-test-x' chain='ipv4'>"
        "<rule action='drop' direction='in'><ip srcipaddr='10.0.0.1'/></rule></filter>"
    )
    name, uuid, xml = nwfilters.parse_filter_xml(text)
    assert (name, uuid) == ("lvc-test-x", "")
    assert_valid_xml(xml, "nwfilter", tmp_path)


# --- Checks --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_refused_with_the_rule(name):
    with pytest.raises(networks.InvalidName, match="letters, digits"):
        networks.check_name(name)
    with pytest.raises(networks.InvalidName):
        networks.network_xml(**spec("isolated", name=name))


@pytest.mark.parametrize("bridge", ["", "x" * 16, "br 0", "br/0", "brü", "br'0"])
def test_bad_bridge_names_are_refused(bridge):
    with pytest.raises(networks.InvalidNetwork, match="bridge name"):
        networks.check_bridge(bridge)


@pytest.mark.parametrize(
    ("address", "prefix", "start", "end", "message"),
    [
        ("10.252.1.300", 24, "", "", "not an IPv4 address"),
        ("fd00::1", 64, "", "", "not an IPv4 address"),
        ("10.252.1.1", 31, "", "", "between 8 and 30"),
        ("10.252.1.0", 24, "", "", "network or broadcast"),
        ("10.252.1.255", 24, "", "", "network or broadcast"),
        ("10.252.1.1", 24, "10.252.2.10", "10.252.1.20", "not a host address of 10.252.1.0/24"),
        ("10.252.1.1", 24, "10.252.1.50", "10.252.1.20", "starts (10.252.1.50) after it ends"),
        ("10.252.1.1", 24, "10.252.1.1", "10.252.1.20", "must not include the gateway"),
        ("10.252.1.10", 24, "10.252.1.2", "10.252.1.20", "must not include the gateway"),
        ("10.252.1.1", 24, "10.252.1.2", "10.252.1.255", "not a host address"),
        ("10.252.1.1", 24, "10.252.1.2", "nope", "not an IPv4 address"),
    ],
)
def test_bad_addresses_are_refused_with_a_clear_message(address, prefix, start, end, message):
    with pytest.raises(networks.InvalidNetwork, match=message.replace("(", r"\(").replace(")", r"\)")):
        networks.network_xml(**spec("nat", address=address, prefix=prefix, dhcp_start=start, dhcp_end=end))


def test_filter_xml_other_than_a_named_filter_is_refused():
    for text, message in [
        ("<filter name='a'>", "not well-formed"),
        ("<network><name>a</name></network>", "root element must be <filter>"),
        ("<filter/>", "needs a name"),
        ("<filter name='a/../b'/>", "not a valid name"),
        ("", "Enter the filter's XML"),
    ]:
        with pytest.raises(nwfilters.InvalidFilter, match=message):
            nwfilters.parse_filter_xml(text)


def test_entities_in_filter_xml_are_not_expanded():
    text = '<!DOCTYPE f [<!ENTITY x SYSTEM "file:///etc/passwd">]><filter name="lvc-test-e" chain="root">&x;</filter>'
    _name, _uuid, xml = nwfilters.parse_filter_xml(text)
    assert "root:" not in xml and "DOCTYPE" not in xml


# --- Changes -------------------------------------------------------------------------------------


def test_network_lifecycle_on_the_test_driver(test_conn):
    network = spec("isolated")
    networks.define_network(test_conn, **network)
    name = network["name"]
    networks.start_network(test_conn, name)
    networks.set_autostart(test_conn, name, True)
    (read,) = [n for n in networks.read_networks(test_conn) if n["name"] == name]
    assert read["active"] and read["autostart"] and read["forward"] == "isolated"
    with pytest.raises(InvalidOperation, match="Not possible in the current state"):
        networks.start_network(test_conn, name)
    networks.stop_network(test_conn, name)
    networks.delete_network(test_conn, name)
    assert name not in [n["name"] for n in networks.read_networks(test_conn)]
    with pytest.raises(NotFound, match="No such network"):
        networks.delete_network(test_conn, name)


def test_an_active_network_on_the_real_host_reads_with_its_leases(qemu):
    network = spec("isolated", bridge=unique_bridge())
    try:
        networks.define_network(qemu, **network)
        networks.start_network(qemu, network["name"])
        (read,) = [n for n in networks.read_networks(qemu) if n["name"] == network["name"]]
        assert read["active"] and read["bridge"] == network["bridge"] and read["leases"] == []
    finally:
        remove_network(qemu, network["name"])


def test_libvirt_refusing_a_network_says_so(qemu):
    network = spec("isolated", bridge="virbr0")  # the bridge of the host's 'default' network
    try:
        with pytest.raises(networks.InvalidNetwork, match="libvirt refused the network: .*virbr0"):
            networks.define_network(qemu, **network)
    finally:
        remove_network(qemu, network["name"])


def test_filters_define_and_undefine_on_the_real_host(qemu):
    name = unique_name()
    try:
        nwfilters.define_filter(
            qemu, f"<filter name='{name}' chain='root'><filterref filter='no-ip-spoofing'/></filter>"
        )
        (read,) = [f for f in nwfilters.read_nwfilters(qemu) if f["name"] == name]
        assert read["refs"] == ["no-ip-spoofing"] and read["rules"] == 0
        nwfilters.undefine_filter(qemu, name)
        assert name not in [f["name"] for f in nwfilters.read_nwfilters(qemu)]
    finally:
        remove_filter(qemu, name)


def test_filter_xml_libvirt_refuses_gives_its_reason(qemu):
    name = unique_name()
    try:
        with pytest.raises(nwfilters.InvalidFilter, match="libvirt refused the filter: .*unknown rule action"):
            nwfilters.define_filter(qemu, f"<filter name='{name}'><rule action='bogus' direction='in'/></filter>")
    finally:
        remove_filter(qemu, name)
