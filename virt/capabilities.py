"""What a host can run: its CPU, NUMA cells and guest types, parsed from the capabilities XML.

Drivers differ in how much they say (the test and LXC drivers name no CPU model or topology), so
every missing part reads as an empty value, never as an exception.
"""

from dataclasses import dataclass

import libvirt
from lxml import etree

_KIB_PER_UNIT = {
    "b": 1 / 1024,
    "bytes": 1 / 1024,
    "kib": 1,
    "k": 1,
    "mib": 1024,
    "m": 1024,
    "gib": 1024**2,
    "g": 1024**2,
}


@dataclass(frozen=True)
class CpuTopology:
    sockets: int
    dies: int
    cores: int
    threads: int

    @property
    def cpus(self) -> int:
        """Logical CPUs this topology multiplies out to."""
        return self.sockets * self.dies * self.cores * self.threads


@dataclass(frozen=True)
class NumaCell:
    id: int
    memory_kib: int
    cpus: tuple[int, ...]


@dataclass(frozen=True)
class GuestType:
    os_type: str
    arch: str
    domain_types: tuple[str, ...]
    machines: tuple[str, ...] = ()  # machine types and their aliases (pc, pc-i440fx-7.2...)


@dataclass(frozen=True)
class Capabilities:
    arch: str
    cpu_model: str
    cpu_vendor: str
    topology: CpuTopology | None
    numa_cells: tuple[NumaCell, ...]
    guest_types: tuple[GuestType, ...]
    uuid: str = ""  # the host's UUID: two URIs naming one machine have the same

    def as_dict(self) -> dict:
        """Plain dicts, lists, strings and ints: what a JSONField stores and gives back unchanged."""
        return {
            "arch": self.arch,
            "cpu_model": self.cpu_model,
            "cpu_vendor": self.cpu_vendor,
            "topology": None if self.topology is None else dict(self.topology.__dict__),
            "numa_cells": [{"id": c.id, "memory_kib": c.memory_kib, "cpus": list(c.cpus)} for c in self.numa_cells],
            "guest_types": [
                {
                    "os_type": g.os_type,
                    "arch": g.arch,
                    "domain_types": list(g.domain_types),
                    "machines": list(g.machines),
                }  # fmt: skip
                for g in self.guest_types
            ],
            "uuid": self.uuid,
        }


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _text(parent, tag: str) -> str:
    return (parent.findtext(tag) or "").strip() if parent is not None else ""


def _topology(element) -> CpuTopology | None:
    if element is None:
        return None
    sockets, cores, threads = (_int(element.get(name)) for name in ("sockets", "cores", "threads"))
    if None in (sockets, cores, threads):
        return None
    return CpuTopology(sockets=sockets, dies=_int(element.get("dies")) or 1, cores=cores, threads=threads)


def _cell(element) -> NumaCell:
    memory = element.find("memory")
    kib = 0
    if memory is not None:
        factor = _KIB_PER_UNIT.get(memory.get("unit", "KiB").lower(), 1)
        kib = int((_int(memory.text) or 0) * factor)
    cpus = sorted(cpu for cpu in (_int(c.get("id")) for c in element.iterfind("cpus/cpu")) if cpu is not None)
    return NumaCell(id=_int(element.get("id")) or 0, memory_kib=kib, cpus=tuple(cpus))


def _guest_types(root) -> tuple[GuestType, ...]:
    found = []
    for guest in root.iterfind("guest"):
        os_type = _text(guest, "os_type")
        for arch in guest.iterfind("arch"):
            domains = tuple(d.get("type", "") for d in arch.iterfind("domain") if d.get("type"))
            machines = {m.text for m in arch.iterfind(".//machine") if m.text}
            machines |= {m.get("canonical") for m in arch.iterfind(".//machine") if m.get("canonical")}
            found.append(GuestType(os_type=os_type, arch=arch.get("name", ""), domain_types=domains,
                                   machines=tuple(sorted(machines))))  # fmt: skip
    return tuple(found)


def parse_capabilities(xml: str) -> Capabilities:
    """Parse the XML of virConnectGetCapabilities. Malformed XML raises lxml's XMLSyntaxError."""
    root = etree.fromstring(xml.encode())
    cpu = root.find("host/cpu")
    return Capabilities(
        arch=_text(cpu, "arch"),
        cpu_model=_text(cpu, "model"),
        cpu_vendor=_text(cpu, "vendor"),
        topology=_topology(cpu.find("topology") if cpu is not None else None),
        numa_cells=tuple(_cell(c) for c in root.iterfind("host/topology/cells/cell")),
        guest_types=_guest_types(root),
        uuid=_text(root.find("host"), "uuid"),
    )


def read_capabilities(conn: libvirt.virConnect) -> Capabilities:
    """The capabilities of the host behind `conn`; libvirtError propagates for the caller to translate."""
    return parse_capabilities(conn.getCapabilities())
