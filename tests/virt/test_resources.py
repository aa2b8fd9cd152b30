"""Host resources: vCPUs, memory, NUMA free memory, pools, CPU time and uptime, on real drivers."""

import json

import libvirt
import pytest
from lxml import etree

from virt.capabilities import read_capabilities
from virt.domains import read_domains
from virt.host import read_facts
from virt.resources import MIB, PoolUsage, read_resources


@pytest.fixture
def lxc_conn():
    """The LXC driver of the same libvirtd: it has no bulk domain stats."""
    conn = libvirt.open("lxc:///")
    yield conn
    conn.close()


def test_resources_of_the_real_host_match_its_size(qemu_conn):
    model, memory_mib, cpus, *_ = qemu_conn.getInfo()
    resources = read_resources(qemu_conn, local=True)
    assert resources.vcpus_total == cpus
    assert resources.vcpus_used >= 0
    assert resources.memory_total_mib == memory_mib
    assert 0 < resources.memory_free_mib <= memory_mib
    assert resources.memory_used_mib == memory_mib - resources.memory_free_mib


def test_real_host_reports_free_memory_per_numa_cell(qemu_conn):
    resources = read_resources(qemu_conn, local=True)
    cells = {cell.id for cell in read_capabilities(qemu_conn).numa_cells}
    assert set(resources.numa_free_mib) == cells
    assert all(0 < free <= resources.memory_total_mib for free in resources.numa_free_mib.values())


def test_real_host_reports_cpu_time(qemu_conn):
    cpu_time = read_resources(qemu_conn, local=True).cpu_time_ns
    assert set(cpu_time) == {"kernel", "user", "idle", "iowait"}
    assert cpu_time["idle"] > 0


def test_uptime_is_read_for_a_local_host_and_unknown_for_a_remote_one(qemu_conn):
    assert isinstance(read_resources(qemu_conn, local=True).uptime_seconds, int)
    assert read_resources(qemu_conn, local=True).uptime_seconds > 0
    assert read_resources(qemu_conn, local=False).uptime_seconds is None


def test_vcpus_used_counts_the_running_test_domain(test_conn):
    vcpus = test_conn.lookupByName("test").info()[3]
    resources = read_resources(test_conn, local=False)
    assert vcpus > 0
    assert resources.vcpus_used == vcpus


@pytest.mark.parametrize("running", [True, False])
def test_facts_counted_from_the_domains_just_read_match_a_fresh_count(test_conn, running):
    """The monitor hands read_facts the domains it has just read, instead of listing them again.
    (The test driver's state outlives the test while another connection holds it: the domain is
    left as it was found.)"""
    domain = test_conn.lookupByName("test")
    was_running = bool(domain.isActive())
    try:
        if running != was_running:
            domain.create() if running else domain.destroy()
        counted = read_facts(test_conn, uri="test:///default", slow=False, domains=read_domains(test_conn))
        fresh = read_facts(test_conn, uri="test:///default", slow=False)
        assert counted.summary == fresh.summary
        assert counted.resources["vcpus_used"] == fresh.resources["vcpus_used"]
        assert (counted.resources["vcpus_used"] > 0) == running
    finally:
        if bool(domain.isActive()) != was_running:
            domain.create() if was_running else domain.destroy()


def test_stopped_domain_uses_no_vcpus(test_conn):
    test_conn.lookupByName("test").destroy()
    assert read_resources(test_conn, local=False).vcpus_used == 0


def test_test_driver_memory_matches_its_node_info(test_conn):
    resources = read_resources(test_conn, local=False)
    assert resources.memory_total_mib == test_conn.getInfo()[1]
    assert resources.memory_free_mib == test_conn.getFreeMemory() // MIB
    assert list(resources.numa_free_mib) == [0, 1]


def test_dir_pool_appears_with_its_capacity(test_conn):
    pools = {pool.name: pool for pool in read_resources(test_conn, local=False).pools}
    pool = pools["default-pool"]
    assert pool.active and pool.capacity > 0
    assert pool.allocation + pool.available == pool.capacity


def test_inactive_pool_reports_zeros(test_conn):
    test_conn.storagePoolLookupByName("default-pool").destroy()
    pools = {pool.name: pool for pool in read_resources(test_conn, local=False).pools}
    assert pools["default-pool"] == PoolUsage("default-pool", active=False, capacity=0, allocation=0, available=0)


def test_driver_without_bulk_domain_stats_still_reports_resources(lxc_conn):
    with pytest.raises(libvirt.libvirtError, match="not supported"):
        lxc_conn.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_VCPU, 0)
    resources = read_resources(lxc_conn, local=True)
    assert resources.vcpus_total == lxc_conn.getInfo()[2]
    assert resources.vcpus_used >= 0
    assert resources.memory_total_mib == lxc_conn.getInfo()[1]


def test_errors_other_than_unsupported_propagate():
    conn = libvirt.open("test:///default")
    conn.close()
    with pytest.raises(libvirt.libvirtError, match="invalid connection"):
        read_resources(conn, local=False)


def test_as_dict_survives_a_json_round_trip(test_conn):
    data = read_resources(test_conn, local=False).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["numa_free_mib"].keys() == {"0", "1"}
    assert data["pools"][0]["name"] == "default-pool"
    assert data["uptime_seconds"] is None


def test_a_test_driver_node_file_without_numa_cells_has_no_cell_figures(tmp_path):
    node = etree.Element("node")
    etree.SubElement(etree.SubElement(node, "cpu"), "mhz").text = "2000"
    path = tmp_path / "node.xml"
    path.write_bytes(etree.tostring(node))
    conn = libvirt.open(f"test://{path}")
    try:
        resources = read_resources(conn, local=False)
    finally:
        conn.close()
    assert resources.numa_free_mib == {}
    assert resources.vcpus_total > 0
