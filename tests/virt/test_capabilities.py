"""Host capabilities: CPU, topology, NUMA cells and guest types, as an admin reads them."""

import json

import pytest
from lxml import etree

from virt.capabilities import Capabilities, CpuTopology, GuestType, NumaCell, parse_capabilities, read_capabilities

TWO_CELLS = """
<capabilities>
  <host>
    <cpu>
      <arch>x86_64</arch>
      <model>Skylake-Server</model>
      <vendor>Intel</vendor>
      <topology sockets='2' cores='2' threads='2'/>
    </cpu>
    <topology>
      <cells num='2'>
        <cell id='0'>
          <memory unit='KiB'>1048576</memory>
          <cpus num='4'>
            <cpu id='2'/><cpu id='0'/><cpu id='1'/><cpu id='3'/>
          </cpus>
        </cell>
        <cell id='1'>
          <memory unit='KiB'>2097152</memory>
          <cpus num='4'>
            <cpu id='4'/><cpu id='5'/><cpu id='6'/><cpu id='7'/>
          </cpus>
        </cell>
      </cells>
    </topology>
  </host>
  <guest>
    <os_type>hvm</os_type>
    <arch name='x86_64'>
      <domain type='qemu'/>
      <domain type='kvm'/>
    </arch>
  </guest>
</capabilities>
"""


def test_capabilities_of_the_real_host_describe_its_cpus(qemu_conn):
    caps = read_capabilities(qemu_conn)
    host_cpus = qemu_conn.getInfo()[2]
    assert caps.arch == "x86_64"
    assert caps.cpu_model and caps.cpu_vendor
    assert caps.topology is not None and caps.topology.cpus == host_cpus
    assert caps.numa_cells, "the host reports at least one NUMA cell"
    assert sorted(cpu for cell in caps.numa_cells for cpu in cell.cpus) == list(range(host_cpus))
    assert all(cell.memory_kib > 0 for cell in caps.numa_cells)


def test_the_real_host_runs_hvm_guests_under_qemu(qemu_conn):
    caps = read_capabilities(qemu_conn)
    x86_64 = [g for g in caps.guest_types if g.os_type == "hvm" and g.arch == "x86_64"]
    assert x86_64 and "qemu" in x86_64[0].domain_types


def test_sparse_test_driver_capabilities_read_as_empty_values(test_conn):
    caps = read_capabilities(test_conn)
    assert caps.arch == "i686"
    assert (caps.cpu_model, caps.cpu_vendor, caps.topology) == ("", "", None)
    assert [cell.id for cell in caps.numa_cells] == [0, 1]
    assert {(g.os_type, g.arch, g.domain_types) for g in caps.guest_types} == {
        ("hvm", "i686", ("test",)),
        ("xen", "i686", ("test",)),
    }


def test_hand_written_xml_with_two_numa_cells_gives_both_cells():
    caps = parse_capabilities(TWO_CELLS)
    assert caps == Capabilities(
        arch="x86_64",
        cpu_model="Skylake-Server",
        cpu_vendor="Intel",
        topology=CpuTopology(sockets=2, dies=1, cores=2, threads=2),
        numa_cells=(
            NumaCell(id=0, memory_kib=1048576, cpus=(0, 1, 2, 3)),
            NumaCell(id=1, memory_kib=2097152, cpus=(4, 5, 6, 7)),
        ),
        guest_types=(GuestType(os_type="hvm", arch="x86_64", domain_types=("qemu", "kvm")),),
    )
    assert caps.topology.cpus == 8


def test_empty_capabilities_give_empty_values_not_errors():
    caps = parse_capabilities("<capabilities/>")
    assert caps == Capabilities(arch="", cpu_model="", cpu_vendor="", topology=None, numa_cells=(), guest_types=())


def test_malformed_xml_is_an_error():
    with pytest.raises(etree.XMLSyntaxError):
        parse_capabilities("<capabilities>")


def test_as_dict_survives_a_json_round_trip(qemu_conn):
    data = read_capabilities(qemu_conn).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["arch"] == "x86_64"
    assert set(data["topology"]) == {"sockets", "dies", "cores", "threads"}
    assert isinstance(data["numa_cells"][0]["cpus"], list)
