"""Placing a guest on the host's NUMA topology: guest NUMA cells, vCPU and emulator pinning and
the memory policy, fitted onto the host's cells and CPUs (from its capabilities XML).

The request comes from flavor extra specs (virt/policy.py reads them, with Nova's names); the
result is the XML objects of virt/xml/tuning.py. A request that cannot fit raises NumaError
saying why (more dedicated vCPUs than host CPUs, a host node that does not exist...).
"""

from dataclasses import dataclass, field, replace
from itertools import permutations

from virt.capabilities import NumaCell, read_capabilities
from virt.errors import translated
from virt.xml.tuning import CpuTune, GuestCell, NumaTune

MEMORY_MODES = ("strict", "preferred", "interleave")
EMULATOR_POLICIES = ("share", "isolate")
MAX_CPU_ID = 8191


class NumaError(ValueError):
    """A NUMA or pinning request that is malformed or does not fit the host."""


@translated
def host_cells(conn) -> tuple[NumaCell, ...]:
    """The host's NUMA cells and their CPUs, read now from its capabilities."""
    return read_capabilities(conn).numa_cells


def parse_cpuset(text: str, what: str = "CPU set") -> frozenset[int]:
    """libvirt's CPU/node set syntax: "0-3,^2,6" → {0, 1, 3, 6}."""
    wanted, excluded = set(), set()
    for part in str(text).replace(" ", "").split(","):
        target = excluded if part.startswith("^") else wanted
        first, _dash, last = part.lstrip("^").partition("-")
        if not first.isdigit() or (last and not last.isdigit()) or (_dash and not last):
            raise NumaError(f"{what} {text!r} is not a list like 0-3,^2,6")
        low, high = int(first), int(last or first)
        if low > high or high > MAX_CPU_ID:
            raise NumaError(f"{what} {text!r} has a bad range {part!r}")
        target.update(range(low, high + 1))
    if not wanted - excluded:
        raise NumaError(f"{what} {text!r} is empty")
    return frozenset(wanted - excluded)


def format_cpuset(ids) -> str:
    """{0, 1, 2, 5} → "0-2,5"."""
    ranges: list[list[int]] = []
    for number in sorted(ids):
        if ranges and number == ranges[-1][1] + 1:
            ranges[-1][1] = number
        else:
            ranges.append([number, number])
    return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in ranges)


@dataclass(frozen=True)
class NumaRequest:
    """What the flavor asks for. nodes = 0: no guest NUMA cells (one, when vCPUs are dedicated)."""

    vcpus: int
    memory_mib: int
    nodes: int = 0
    cell_cpus: dict[int, str] = field(default_factory=dict)
    cell_memory: dict[int, int] = field(default_factory=dict)
    dedicated: bool = False
    emulator_policy: str = "share"
    emulator_cpus: str = ""
    memory_mode: str = ""
    nodeset: str = ""
    taken: frozenset[int] = frozenset()  # host CPUs other guests have dedicated vCPUs (or emulators) on

    @property
    def wanted(self) -> bool:
        asked = (self.nodes, self.dedicated, self.memory_mode, self.nodeset, self.emulator_cpus)
        return any(asked) or self.emulator_policy != "share"


@dataclass(frozen=True)
class Placement:
    cells: list[GuestCell] = field(default_factory=list)
    cputune: CpuTune | None = None
    numatune: NumaTune | None = None


@dataclass(frozen=True)
class _Unit:
    """A guest cell (or the whole guest) to place on one host cell."""

    id: int
    vcpus: tuple[int, ...]
    memory_mib: int


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


def _units(req: NumaRequest) -> list[_Unit]:
    nodes = req.nodes or (1 if req.dedicated else 0)
    if not nodes:
        return []
    if nodes > req.vcpus:
        raise NumaError(f"{nodes} guest NUMA nodes need at least {nodes} vCPUs; the flavor has {req.vcpus}")
    for given, what in ((req.cell_cpus, "hw:numa_cpus"), (req.cell_memory, "hw:numa_mem")):
        if given and sorted(given) != list(range(nodes)):
            raise NumaError(f"{what}.N must be set for every guest node 0 to {nodes - 1} (hw:numa_nodes = {nodes})")
    if req.cell_cpus:
        cpus = [parse_cpuset(req.cell_cpus[i], f"hw:numa_cpus.{i} =") for i in range(nodes)]
        if sum(map(len, cpus)) != req.vcpus or frozenset().union(*cpus) != frozenset(range(req.vcpus)):
            raise NumaError(f"hw:numa_cpus.N must share the vCPUs 0-{req.vcpus - 1} among the nodes, each once")
    else:
        sizes, start = _split(req.vcpus, nodes), 0
        cpus = []
        for size in sizes:
            cpus.append(frozenset(range(start, start + size)))
            start += size
    memory = [req.cell_memory[i] for i in range(nodes)] if req.cell_memory else _split(req.memory_mib, nodes)
    if sum(memory) != req.memory_mib or min(memory) < 1:
        raise NumaError(f"hw:numa_mem.N must add up to the flavor's {req.memory_mib} MiB, at least 1 MiB each")
    return [_Unit(id=i, vcpus=tuple(sorted(cpus[i])), memory_mib=memory[i]) for i in range(nodes)]


def _host_nodes(req: NumaRequest, host: tuple[NumaCell, ...]) -> list[NumaCell]:
    if not host:
        raise NumaError("the host reports no NUMA topology, so NUMA placement and CPU pinning cannot be checked")
    if not req.nodeset:
        return list(host)
    known = {cell.id: cell for cell in host}
    asked = parse_cpuset(req.nodeset, "hw:numa_nodeset =")
    missing = sorted(asked - set(known))
    if missing:
        raise NumaError(f"the host has no NUMA node {format_cpuset(missing)} (it has node {format_cpuset(known)})")
    return [known[node] for node in sorted(asked)]


def _check_sizes(req: NumaRequest, units: list[_Unit], nodes: list[NumaCell], extra: int) -> None:
    """Name the simple reasons a placement cannot exist before searching for one."""
    ids = format_cpuset(cell.id for cell in nodes)
    if len(units) > len(nodes):
        raise NumaError(f"{len(units)} guest NUMA nodes need as many host NUMA nodes; the host offers {len(nodes)} "
                        f"(node {ids})")  # fmt: skip
    cpus = sorted(cpu for cell in nodes for cpu in cell.cpus)
    busy = sorted(req.taken.intersection(cpus))
    if req.dedicated and req.vcpus + extra > len(cpus) - len(busy):
        isolated = " plus 1 CPU for the isolated emulator threads" if extra else ""
        held = f", {len(busy)} of them ({format_cpuset(busy)}) dedicated to other instances" if busy else ""
        vcpus = f"{req.vcpus} dedicated vCPU{'s' if req.vcpus > 1 else ''}"
        verb = "does" if req.vcpus == 1 and not extra else "do"
        raise NumaError(f"{vcpus}{isolated} {verb} not fit: the host has {len(cpus)} CPUs "
                        f"({format_cpuset(cpus)}) on NUMA node {ids}{held}")  # fmt: skip
    largest = max(nodes, key=lambda cell: cell.memory_kib)
    for unit in units:
        if unit.memory_mib * 1024 > largest.memory_kib:
            raise NumaError(f"guest NUMA node {unit.id} needs {unit.memory_mib} MiB; the largest host NUMA node "
                            f"(node {largest.id}) has {largest.memory_kib // 1024} MiB")  # fmt: skip


def _fits(unit: _Unit, cell: NumaCell, dedicated: bool) -> bool:
    return unit.memory_mib * 1024 <= cell.memory_kib and (not dedicated or len(unit.vcpus) <= len(cell.cpus))


def _assign(req: NumaRequest, units: list[_Unit], nodes: list[NumaCell], extra: int) -> list[NumaCell]:
    """The host cell of each unit: distinct cells, each with room for its unit (and `extra` CPUs)."""
    for chosen in permutations(nodes, len(units)):
        if all(_fits(unit, cell, req.dedicated) for unit, cell in zip(units, chosen, strict=True)):
            spare = sum(len(cell.cpus) - len(unit.vcpus) for unit, cell in zip(units, chosen, strict=True))
            if not req.dedicated or spare >= extra:
                return list(chosen)
    what = "dedicated vCPUs and memory" if req.dedicated else "memory"
    raise NumaError(f"the guest's NUMA nodes do not fit the host's: no host NUMA node has room for the {what} "
                    "of each guest node")  # fmt: skip


def _emulator(req: NumaRequest, host: tuple[NumaCell, ...], pinned: set[int], spare: list[int]) -> str:
    if req.emulator_cpus:
        if req.emulator_policy == "isolate":
            raise NumaError("set hw:emulator_threads_policy = isolate or hw:emulator_cpus, not both")
        wanted = parse_cpuset(req.emulator_cpus, "hw:emulator_cpus =")
        known = {cpu for cell in host for cpu in cell.cpus}
        if not wanted <= known:
            raise NumaError(f"the host has no CPU {format_cpuset(wanted - known)} for the emulator threads "
                            f"(it has CPU {format_cpuset(known)})")  # fmt: skip
        return format_cpuset(wanted)
    if req.emulator_policy == "isolate":
        return str(spare[0])
    return format_cpuset(pinned)


def _memory_only(req: NumaRequest, host: tuple[NumaCell, ...], nodes: list[NumaCell]) -> Placement:
    """No guest cells: the memory policy on the nodes asked for (or the first that holds the guest)."""
    mode = req.memory_mode or "strict"
    if not req.nodeset and mode != "interleave":
        nodes = [next((cell for cell in nodes if cell.memory_kib >= req.memory_mib * 1024), nodes[0])]
    if sum(cell.memory_kib for cell in nodes) < req.memory_mib * 1024:
        raise NumaError(f"the guest's {req.memory_mib} MiB do not fit on host NUMA node "
                        f"{format_cpuset(cell.id for cell in nodes)}")  # fmt: skip
    cputune = CpuTune(emulatorpin=_emulator(req, host, set(), [])) if req.emulator_cpus else None
    return Placement(numatune=NumaTune(mode=mode, nodeset=format_cpuset(cell.id for cell in nodes)), cputune=cputune)


def place(req: NumaRequest, host: tuple[NumaCell, ...]) -> Placement:
    """Fit the request onto the host's NUMA cells; an empty Placement when nothing is asked."""
    if not req.wanted:
        return Placement()
    if req.emulator_policy == "isolate" and not req.dedicated:
        raise NumaError("hw:emulator_threads_policy = isolate needs hw:cpu_policy = dedicated")
    units = _units(req)
    nodes = _host_nodes(req, host)
    extra = 1 if req.emulator_policy == "isolate" else 0
    _check_sizes(req, units, nodes, extra)
    if req.dedicated:  # only the CPUs no other guest has dedicated
        nodes = [replace(cell, cpus=tuple(cpu for cpu in cell.cpus if cpu not in req.taken)) for cell in nodes]
    placement = _memory_only(req, host, nodes) if not units else _pinned(req, host, units, nodes, extra)
    if placement.numatune.mode == "preferred" and len(parse_cpuset(placement.numatune.nodeset)) > 1:
        raise NumaError("hw:numa_mempolicy = preferred takes one host NUMA node, not several")
    return placement


def _pinned(req: NumaRequest, host, units: list[_Unit], nodes: list[NumaCell], extra: int) -> Placement:
    """Guest cells on distinct host cells; vCPUs pinned to one CPU each (dedicated) or to their cell's CPUs."""
    chosen = _assign(req, units, nodes, extra)
    pins: dict[int, str] = {}
    spare: list[int] = []
    for unit, cell in zip(units, chosen, strict=True):
        if req.dedicated:
            pins.update({vcpu: str(cpu) for vcpu, cpu in zip(unit.vcpus, cell.cpus, strict=False)})
            spare += list(cell.cpus[len(unit.vcpus) :])
        else:
            pins.update({vcpu: format_cpuset(cell.cpus) for vcpu in unit.vcpus})
    pinned = {cpu for cpuset in pins.values() for cpu in parse_cpuset(cpuset)}
    mode = req.memory_mode or "strict"
    return Placement(
        cells=[GuestCell(id=u.id, cpus=format_cpuset(u.vcpus), memory_mib=u.memory_mib) for u in units],
        cputune=CpuTune(vcpupin=pins, emulatorpin=_emulator(req, host, pinned, spare)),
        numatune=NumaTune(mode=mode, nodeset=format_cpuset(c.id for c in chosen),
                          memnodes={u.id: str(c.id) for u, c in zip(units, chosen, strict=True)}),
    )  # fmt: skip


def describe(cells: list[GuestCell], cputune: CpuTune | None, numatune: NumaTune | None) -> dict:
    """What the instance page shows of a definition's NUMA cells, pinning and memory policy."""
    pins = sorted((cputune or CpuTune()).vcpupin.items())
    return {
        "cells": [{"id": cell.id, "cpus": cell.cpus, "memory_mib": cell.memory_mib} for cell in cells],
        "vcpupin": [{"vcpu": vcpu, "cpuset": cpuset} for vcpu, cpuset in pins],
        "emulatorpin": cputune.emulatorpin if cputune else "",
        "memory_mode": numatune.mode if numatune else "",
        "nodeset": numatune.nodeset if numatune else "",
    }
