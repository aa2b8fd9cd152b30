"""Domain XML objects for CPU and memory placement: guest NUMA cells (<cpu><numa>), vCPU and
emulator pinning (<cputune>) and the memory policy (<numatune>).

Like virt/xml/domain.py they hold no policy: CPU sets and node sets are libvirt's own strings
("0-3,^2"), kept as given; virt/numa.py decides them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

_MIB_PER_UNIT = {"kib": 1 / 1024, "k": 1 / 1024, "mib": 1, "m": 1, "gib": 1024, "g": 1024}


def _cell_mib(element: etree._Element) -> int:
    """A cell's memory in MiB (libvirt writes it in KiB)."""
    unit = element.get("unit", "KiB").lower()
    if unit not in _MIB_PER_UNIT:
        raise ValueError(f"unknown memory unit {element.get('unit')!r} in a NUMA cell")
    try:
        return int(int(element.get("memory", "0")) * _MIB_PER_UNIT[unit])
    except ValueError:
        return 0


@dataclass
class GuestCell:
    """One NUMA node of the guest: its vCPUs and memory."""

    id: int
    cpus: str
    memory_mib: int

    def to_element(self) -> etree._Element:
        return etree.Element("cell", id=str(self.id), cpus=self.cpus, memory=str(self.memory_mib), unit="MiB")

    @classmethod
    def from_element(cls, element: etree._Element) -> GuestCell:
        return cls(id=int(element.get("id", "0")), cpus=element.get("cpus", ""), memory_mib=_cell_mib(element))


def cells_element(cells: list[GuestCell]) -> etree._Element:
    """<cpu><numa> with the guest's cells (libvirt picks the CPU model as without <cpu>)."""
    cpu = etree.Element("cpu")
    etree.SubElement(cpu, "numa").extend(cell.to_element() for cell in cells)
    return cpu


def cells_from(domain: etree._Element) -> list[GuestCell]:
    return [GuestCell.from_element(cell) for cell in domain.findall("cpu/numa/cell")]


@dataclass
class CpuTune:
    """vCPU number → host CPU set it may run on; the CPU set of the emulator threads ("": any)."""

    vcpupin: dict[int, str] = field(default_factory=dict)
    emulatorpin: str = ""

    def to_element(self) -> etree._Element:
        element = etree.Element("cputune")
        for vcpu, cpuset in sorted(self.vcpupin.items()):
            etree.SubElement(element, "vcpupin", vcpu=str(vcpu), cpuset=cpuset)
        if self.emulatorpin:
            etree.SubElement(element, "emulatorpin", cpuset=self.emulatorpin)
        return element

    @classmethod
    def from_element(cls, element: etree._Element | None) -> CpuTune | None:
        if element is None:
            return None
        pins = {int(pin.get("vcpu", "0")): pin.get("cpuset", "") for pin in element.findall("vcpupin")}
        emulator = element.find("emulatorpin")
        return cls(vcpupin=pins, emulatorpin="" if emulator is None else emulator.get("cpuset", ""))


@dataclass
class NumaTune:
    """Where the guest's memory comes from: a mode (strict, preferred, interleave, restrictive)
    on host NUMA nodes, for the whole guest and per guest cell (cell id → host node set)."""

    mode: str = "strict"
    nodeset: str = ""
    memnodes: dict[int, str] = field(default_factory=dict)

    def to_element(self) -> etree._Element:
        element = etree.Element("numatune")
        memory = etree.SubElement(element, "memory", mode=self.mode)
        if self.nodeset:
            memory.set("nodeset", self.nodeset)
        for cell, nodeset in sorted(self.memnodes.items()):
            etree.SubElement(element, "memnode", cellid=str(cell), mode=self.mode, nodeset=nodeset)
        return element

    @classmethod
    def from_element(cls, element: etree._Element | None) -> NumaTune | None:
        if element is None:
            return None
        memory = element.find("memory")
        nodes = {int(node.get("cellid", "0")): node.get("nodeset", "") for node in element.findall("memnode")}
        return cls(
            mode="strict" if memory is None else memory.get("mode", "strict"),
            nodeset="" if memory is None else memory.get("nodeset", ""),
            memnodes=nodes,
        )
