"""The firewall extra spec on the real host: every NIC of the instance references its own filter
lvc-instance-<uuid> (built on clean-traffic), which libvirt instantiates for the running guest;
deleting the instance, or a failed spawn, removes the filter."""

import libvirt
import pytest

from instances.models import Flavor, Instance
from jobs.models import Operation
from tests.networks.support import random_subnet, remove_network, unique_name, virsh
from tests.support.instances import instance_volumes
from virt import networks
from virt.firewall import filter_name
from virt.xml.domain import Domain

pytestmark = pytest.mark.qemu


@pytest.fixture
def network(qemu_conn):
    """An isolated network of its own, started (removed after)."""
    name = unique_name()
    networks.define_network(qemu_conn, name=name, mode="isolated", **random_subnet())
    networks.start_network(qemu_conn, name)
    yield name
    remove_network(qemu_conn, name)


@pytest.fixture
def filters(qemu_conn):
    """filters() -> the names of the host's network filters now; instance filters left over are removed."""
    before = set(qemu_conn.listNWFilters())
    yield lambda: set(qemu_conn.listNWFilters())
    for name in set(qemu_conn.listNWFilters()) - before:
        if name.startswith("lvc-instance-"):
            qemu_conn.nwfilterLookupByName(name).undefine()


def firewalled(base: str = "clean-traffic") -> Flavor:
    return Flavor.objects.create(name="fw", vcpus=1, memory_mib=128, disk_gib=1, extra_specs={"lvc:firewall": base})


def test_spawn_filters_every_nic_and_delete_removes_the_filter(network, filters, spawn, run_op, qemu_conn):
    instance = spawn(flavor=firewalled(), networks=(network, network))
    name = filter_name(str(instance.uuid))
    assert name in filters() and name in virsh("nwfilter-list")
    assert '<filterref filter="clean-traffic"/>' in qemu_conn.nwfilterLookupByName(name).XMLDesc(0).replace("'", '"')

    domain = Domain.from_xml(qemu_conn.lookupByName(instance.name).XMLDesc(0))
    assert [nic.filter for nic in domain.interfaces] == [name, name]
    bindings = virsh("nwfilter-binding-list")  # libvirt instantiated the filter on both tap devices
    assert sorted(nic.target for nic in domain.interfaces) == sorted(
        line.split()[0] for line in bindings.splitlines()[2:] if name in line
    )
    assert [nic["filter"] for nic in Instance.objects.get(pk=instance.pk).details["interfaces"]] == [name, name]

    op = run_op(instance, "instance.delete")
    assert op.status == "succeeded", op.error
    assert name not in filters() and name not in virsh("nwfilter-list")
    assert name not in virsh("nwfilter-binding-list")


def test_a_missing_base_filter_fails_the_spawn_and_leaves_nothing(network, filters, spawn, qemu_conn):
    before, volumes_before = filters(), set(instance_volumes(qemu_conn, ""))
    with pytest.raises(libvirt.libvirtError):
        qemu_conn.nwfilterLookupByName("lvc-test-no-such-filter")
    assert spawn(flavor=firewalled("lvc-test-no-such-filter"), networks=(network,), expect="failed") is None
    op = Operation.objects.get(kind="instance.spawn")
    assert "The host has no network filter 'lvc-test-no-such-filter'" in op.error
    assert Instance.objects.count() == 0 and set(instance_volumes(qemu_conn, "")) == volumes_before
    assert filters() == before


def test_a_spawn_failing_after_the_filter_was_made_removes_it(network, filters, spawn, qemu_conn):
    flavor = firewalled()
    flavor.extra_specs["hw:disk_bus"] = "floppy"  # refused by the policy, after the filter is defined
    flavor.save()
    before = filters()
    assert spawn(flavor=flavor, networks=(network,), expect="failed") is None
    assert "floppy" in Operation.objects.get(kind="instance.spawn").error
    assert filters() == before


def test_the_filter_of_an_existing_nic_is_set_with_its_ip_and_cleared(network, filters, spawn, run_op, qemu_conn):
    instance = spawn(networks=(network,))
    domain = qemu_conn.lookupByName(instance.name)
    mac = Domain.from_xml(domain.XMLDesc(0)).interfaces[0].mac
    name = filter_name(str(instance.uuid))
    assert name not in filters()

    op = run_op(instance, "instance.nic_firewall", mac=mac, base="clean-traffic", ip="10.252.0.50")
    assert (op.status, op.message) == ("succeeded", f"{mac} is filtered by {name} (on clean-traffic, IP 10.252.0.50)")
    for flags in (0, 2):  # live, then the definition (VIR_DOMAIN_XML_INACTIVE)
        nic = Domain.from_xml(domain.XMLDesc(flags)).interfaces[0]
        assert (nic.filter, nic.filter_params) == (name, {"IP": "10.252.0.50"})
    assert name in virsh("nwfilter-binding-list")

    op = run_op(instance, "instance.nic_firewall", mac=mac)
    assert (op.status, op.message) == ("succeeded", f"{mac} is unfiltered")
    assert [Domain.from_xml(domain.XMLDesc(flags)).interfaces[0].filter for flags in (0, 2)] == ["", ""]
    assert name not in virsh("nwfilter-binding-list")

    op = run_op(instance, "instance.nic_firewall", mac=mac, base="no-mac-spoofing", ip="not-an-ip")
    assert (op.status, op.error) == ("failed", "'not-an-ip' is not an IP address.")
    op = run_op(instance, "instance.nic_firewall", mac=mac, base="no-mac-spoofing")  # redefined on another base
    assert op.status == "succeeded", op.error
    assert '<filterref filter="no-mac-spoofing"/>' in qemu_conn.nwfilterLookupByName(name).XMLDesc(0).replace("'", '"')
    assert run_op(instance, "instance.delete").status == "succeeded"
    assert name not in filters()
