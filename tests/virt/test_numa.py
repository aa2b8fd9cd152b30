"""NUMA and CPU pinning specs: placed on a host's topology into valid libvirt XML, or refused with
a message naming what does not fit. Hosts: libvirt's test driver (2 nodes × 8 CPUs) and this
machine's shape (1 node, 2 CPUs)."""

from dataclasses import replace

import pytest

from tests.virt.test_policy import assert_valid, spec
from virt.capabilities import NumaCell
from virt.domains import read_details
from virt.numa import format_cpuset, host_cells, parse_cpuset
from virt.policy import GuestSpec, PolicyError, build_domain
from virt.xml.domain import Domain

SMALL = (NumaCell(id=0, memory_kib=4 * 1024**2, cpus=(0, 1)),)
GIB_KIB = 1024**2


@pytest.fixture
def two_nodes(test_conn):
    return host_cells(test_conn)


def numa_spec(host=SMALL, vcpus=1, memory_mib=128, **extra) -> GuestSpec:
    return spec(vcpus=vcpus, memory_mib=memory_mib, host_cells=host, extra_specs=extra)


def test_cpusets_parse_and_format():
    assert parse_cpuset("0-3,^2,6") == {0, 1, 3, 6}
    assert format_cpuset({0, 1, 2, 5, 7, 8}) == "0-2,5,7-8"
    for bad in ("", "a", "3-1", "1-", "^1", "0-99999"):
        with pytest.raises(ValueError):
            parse_cpuset(bad)


def test_one_dedicated_vcpu_with_strict_memory_on_node_0(tmp_path):
    specs = {"hw:cpu_policy": "dedicated", "hw:numa_nodes": "1", "hw:numa_mempolicy": "strict", "hw:numa_nodeset": "0"}
    domain = build_domain(numa_spec(**specs))
    assert_valid(domain.to_xml(), tmp_path)
    assert Domain.from_xml(domain.to_xml()) == domain
    assert domain.cputune.vcpupin == {0: "0"} and domain.cputune.emulatorpin == "0"
    assert (domain.numatune.mode, domain.numatune.nodeset, domain.numatune.memnodes) == ("strict", "0", {0: "0"})
    assert [(c.id, c.cpus, c.memory_mib) for c in domain.cells] == [(0, "0", 128)]
    assert read_details(domain.to_xml())["numa"] == {
        "cells": [{"id": 0, "cpus": "0", "memory_mib": 128}], "vcpupin": [{"vcpu": 0, "cpuset": "0"}],
        "emulatorpin": "0", "memory_mode": "strict", "nodeset": "0",
    }  # fmt: skip


def test_isolated_emulator_threads_get_a_cpu_of_their_own(tmp_path):
    domain = build_domain(numa_spec(**{"hw:cpu_policy": "dedicated", "hw:emulator_threads_policy": "isolate"}))
    assert_valid(domain.to_xml(), tmp_path)
    assert (domain.cputune.vcpupin, domain.cputune.emulatorpin) == ({0: "0"}, "1")


def test_two_guest_nodes_go_to_two_host_nodes(two_nodes, tmp_path):
    specs = {"hw:numa_nodes": "2", "hw:cpu_policy": "dedicated", "hw:numa_cpus.0": "0,2", "hw:numa_cpus.1": "1,3",
             "hw:numa_mem.0": "512", "hw:numa_mem.1": "1536"}  # fmt: skip
    domain = build_domain(numa_spec(two_nodes, vcpus=4, memory_mib=2048, **specs))
    assert_valid(domain.to_xml(), tmp_path)
    assert [(c.cpus, c.memory_mib) for c in domain.cells] == [("0,2", 512), ("1,3", 1536)]
    assert domain.cputune.vcpupin == {0: "0", 2: "1", 1: "8", 3: "9"}
    assert domain.cputune.emulatorpin == "0-1,8-9"  # share: the pinned CPUs
    assert (domain.numatune.nodeset, domain.numatune.memnodes) == ("0-1", {0: "0", 1: "1"})


def test_shared_vcpus_float_over_their_nodes_cpus(two_nodes, tmp_path):
    domain = build_domain(numa_spec(two_nodes, vcpus=3, memory_mib=3000, **{"hw:numa_nodes": "2"}))
    assert_valid(domain.to_xml(), tmp_path)
    assert [(c.cpus, c.memory_mib) for c in domain.cells] == [("0-1", 1500), ("2", 1500)]
    assert domain.cputune.vcpupin == {0: "0-7", 1: "0-7", 2: "8-15"}


def test_a_guest_node_too_big_for_the_first_host_node_goes_to_the_second(two_nodes):
    domain = build_domain(numa_spec(two_nodes, memory_mib=3072, **{"hw:numa_nodes": "1"}))
    assert domain.numatune.nodeset == "1" and domain.cputune.vcpupin == {0: "8-15"}


def test_cpus_dedicated_to_other_guests_are_left_out(two_nodes):
    taken = frozenset(range(7))  # node 0 keeps CPU 7 free, node 1 all
    one = build_domain(replace(numa_spec(two_nodes, **{"hw:cpu_policy": "dedicated"}), taken_cpus=taken))
    assert one.cputune.vcpupin == {0: "7"}
    two = build_domain(replace(numa_spec(two_nodes, vcpus=2, **{"hw:cpu_policy": "dedicated"}), taken_cpus=taken))
    assert two.cputune.vcpupin == {0: "8", 1: "9"}  # node 0 has one free CPU only
    with pytest.raises(PolicyError) as error:
        build_domain(replace(numa_spec(vcpus=1, **{"hw:cpu_policy": "dedicated"}), taken_cpus=frozenset({0, 1})))
    assert str(error.value) == (
        "1 dedicated vCPU does not fit: the host has 2 CPUs (0-1) on NUMA node 0, 2 of them (0-1) dedicated to other "
        "instances"
    )


def test_memory_policy_alone_needs_no_guest_cells(two_nodes, tmp_path):
    interleave = build_domain(numa_spec(two_nodes, vcpus=2, **{"hw:numa_mempolicy": "interleave"}))
    assert_valid(interleave.to_xml(), tmp_path)
    assert (interleave.cells, interleave.cputune) == ([], None)
    assert (interleave.numatune.mode, interleave.numatune.nodeset) == ("interleave", "0-1")
    preferred = build_domain(numa_spec(two_nodes, **{"hw:numa_mempolicy": "preferred", "hw:emulator_cpus": "9"}))
    assert_valid(preferred.to_xml(), tmp_path)
    tune = preferred.numatune
    assert (tune.mode, tune.nodeset, preferred.cputune.emulatorpin) == ("preferred", "0", "9")


def test_no_numa_specs_leave_the_domain_as_before():
    domain = build_domain(numa_spec())
    assert (domain.cells, domain.cputune, domain.numatune) == ([], None, None)
    assert "numatune" not in domain.to_xml() and "cputune" not in domain.to_xml()


REFUSED = {
    "more-dedicated-than-host": (
        dict(vcpus=3, **{"hw:cpu_policy": "dedicated"}),
        "3 dedicated vCPUs do not fit: the host has 2 CPUs (0-1) on NUMA node 0",
    ),
    "isolate-needs-a-spare": (
        dict(vcpus=2, **{"hw:cpu_policy": "dedicated", "hw:emulator_threads_policy": "isolate"}),
        "2 dedicated vCPUs plus 1 CPU for the isolated emulator threads do not fit",
    ),
    "node-5": (dict(**{"hw:numa_nodeset": "5"}), "the host has no NUMA node 5 (it has node 0)"),
    "two-guest-nodes-one-host-node": (
        dict(vcpus=2, **{"hw:numa_nodes": "2"}),
        "2 guest NUMA nodes need as many host NUMA nodes; the host offers 1 (node 0)",
    ),
    "node-bigger-than-host": (
        dict(memory_mib=8192, **{"hw:numa_nodes": "1"}),
        "guest NUMA node 0 needs 8192 MiB; the largest host NUMA node (node 0) has 4096 MiB",
    ),
    "more-nodes-than-vcpus": (dict(**{"hw:numa_nodes": "2"}), "2 guest NUMA nodes need at least 2 vCPUs"),
    "cpus-not-shared-out": (
        dict(vcpus=2, **{"hw:numa_nodes": "1", "hw:numa_cpus.0": "0"}),
        "hw:numa_cpus.N must share the vCPUs 0-1 among the nodes",
    ),
    "memory-not-adding-up": (
        dict(**{"hw:numa_nodes": "1", "hw:numa_mem.0": "64"}),
        "hw:numa_mem.N must add up to the flavor's 128 MiB",
    ),
    "cpus-for-a-missing-node": (
        dict(vcpus=2, **{"hw:numa_nodes": "1", "hw:numa_cpus.0": "0-1", "hw:numa_cpus.1": "1"}),
        "hw:numa_cpus.N must be set for every guest node 0 to 0",
    ),
    "bad-policy": (dict(**{"hw:cpu_policy": "exclusive"}), "extra spec hw:cpu_policy = 'exclusive' is not supported"),
    "bad-node-count": (dict(**{"hw:numa_nodes": "two"}), "hw:numa_nodes = 'two' is not a whole number"),
    "bad-node-key": (dict(**{"hw:numa_cpus.x": "0"}), "the part after 'hw:numa_cpus.' must be a guest node number"),
    "emulator-cpu-missing": (dict(**{"hw:emulator_cpus": "7"}), "the host has no CPU 7 for the emulator threads"),
    "isolate-without-dedicated": (
        dict(**{"hw:emulator_threads_policy": "isolate"}),
        "hw:emulator_threads_policy = isolate needs hw:cpu_policy = dedicated",
    ),
    "bad-nodeset": (dict(**{"hw:numa_nodeset": "0-"}), "hw:numa_nodeset = '0-' is not a list like 0-3,^2,6"),
}


@pytest.mark.parametrize(("changes", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_what_does_not_fit_is_refused_saying_why(changes, message):
    with pytest.raises(PolicyError) as error:
        build_domain(numa_spec(**changes))
    assert message in str(error.value)


def test_a_host_without_topology_refuses_numa_specs():
    with pytest.raises(PolicyError, match="the host reports no NUMA topology"):
        build_domain(numa_spec(host=(), **{"hw:cpu_policy": "dedicated"}))


def test_preferred_takes_one_host_node(two_nodes):
    with pytest.raises(PolicyError, match="preferred takes one host NUMA node"):
        build_domain(numa_spec(two_nodes, vcpus=2, **{"hw:numa_nodes": "2", "hw:numa_mempolicy": "preferred"}))


def test_the_test_drivers_topology_is_read_live(two_nodes):
    assert [(c.id, c.cpus) for c in two_nodes] == [(0, tuple(range(8))), (1, tuple(range(8, 16)))]
    assert all(c.memory_kib >= GIB_KIB for c in two_nodes)
