"""How much of a host is used: vCPUs, memory, NUMA free memory, storage pools, CPU time, uptime.

The figures Nova's get_available_resource, get_host_cpu_stats and get_host_uptime report. A call
the driver does not implement degrades to an empty value; every other libvirtError propagates for
the caller to translate (virt.errors.translate).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import libvirt

MIB = 1024 * 1024
MAX_NUMA_CELLS = 1024  # the remote protocol's limit for virNodeGetCellsFreeMemory
CPU_TIME_KEYS = ("kernel", "user", "idle", "iowait")
_UNSUPPORTED = frozenset(
    {libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED, libvirt.VIR_ERR_OPERATION_UNSUPPORTED}
)
# The object went away between listing it and asking about it: it no longer counts.
_VANISHED = frozenset({libvirt.VIR_ERR_NO_DOMAIN, libvirt.VIR_ERR_NO_STORAGE_POOL})

T = TypeVar("T")


@dataclass(frozen=True)
class PoolUsage:
    name: str
    active: bool
    capacity: int  # bytes
    allocation: int
    available: int


@dataclass(frozen=True)
class HostResources:
    vcpus_total: int
    vcpus_used: int
    memory_total_mib: int
    memory_free_mib: int
    memory_used_mib: int
    numa_free_mib: dict[int, int]
    pools: tuple[PoolUsage, ...]
    cpu_time_ns: dict[str, int]
    uptime_seconds: int | None

    def as_dict(self) -> dict:
        """Plain JSON values. NUMA cell ids become string keys, as JSON (and a JSONField) keeps them."""
        data = dict(self.__dict__)
        data["numa_free_mib"] = {str(cell): mib for cell, mib in self.numa_free_mib.items()}
        data["pools"] = [dict(pool.__dict__) for pool in self.pools]
        data["cpu_time_ns"] = dict(self.cpu_time_ns)
        return data


def _unless_unsupported(call: Callable[[], T], empty: T, ignore: frozenset[int] = frozenset()) -> T:
    try:
        return call()
    except libvirt.libvirtError as error:
        if error.get_error_code() in _UNSUPPORTED | ignore:
            return empty
        raise


def _vcpus_used(conn: libvirt.virConnect) -> int:
    """Current vCPUs of the running domains, in one bulk call where the driver has it."""
    records = _unless_unsupported(
        lambda: conn.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_VCPU, libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE),
        None,
    )
    if records is None:  # e.g. the LXC driver
        records = [(dom, {}) for dom in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)]
    used = 0
    for dom, stats in records:
        current = stats.get("vcpu.current")
        if current is None:  # e.g. the test driver reports no vcpu group
            current = _unless_unsupported(lambda dom=dom: dom.info()[3], 0, _VANISHED)
        used += current
    return used


def _pool_usage(pool: libvirt.virStoragePool) -> PoolUsage | None:
    try:
        active = bool(pool.isActive())
        _state, capacity, allocation, available = pool.info() if active else (0, 0, 0, 0)
    except libvirt.libvirtError as error:
        if error.get_error_code() in _VANISHED:
            return None
        raise
    return PoolUsage(pool.name(), active, capacity, allocation, available)


def _uptime_seconds() -> int | None:
    try:
        with open("/proc/uptime") as file:
            return int(float(file.read().split()[0]))
    except (OSError, ValueError, IndexError):
        return None


def _cells_free(conn: libvirt.virConnect) -> list[int]:
    """Free memory per NUMA cell; none for a host that reports no cells (the test driver's node
    files answer "Range exceeds available cells" rather than an empty list)."""
    ignore = frozenset({libvirt.VIR_ERR_INVALID_ARG})
    return _unless_unsupported(lambda: conn.getCellsFreeMemory(0, MAX_NUMA_CELLS), [], ignore)


def read_resources(conn: libvirt.virConnect, *, local: bool, vcpus_used: int | None = None) -> HostResources:
    """Read the host's resources. `local`: the libvirt host is this machine, so /proc/uptime is its
    uptime. `vcpus_used`: already counted by the caller (from read_domains), not read again."""
    _model, memory_total_mib, vcpus_total, *_ = conn.getInfo()
    free_mib = _unless_unsupported(conn.getFreeMemory, 0) // MIB  # unknown reads as full: the safe side
    cells = _cells_free(conn)
    pools = _unless_unsupported(lambda: conn.listAllStoragePools(0), [])
    stats = _unless_unsupported(lambda: conn.getCPUStats(libvirt.VIR_NODE_CPU_STATS_ALL_CPUS), {})
    return HostResources(
        vcpus_total=vcpus_total,
        vcpus_used=_vcpus_used(conn) if vcpus_used is None else vcpus_used,
        memory_total_mib=memory_total_mib,
        memory_free_mib=free_mib,
        memory_used_mib=max(memory_total_mib - free_mib, 0),
        numa_free_mib={cell: free // MIB for cell, free in enumerate(cells)},
        pools=tuple(usage for usage in map(_pool_usage, pools) if usage is not None),
        cpu_time_ns={key: int(stats[key]) for key in CPU_TIME_KEYS if key in stats},
        uptime_seconds=_uptime_seconds() if local else None,
    )
