"""Rates from counters: what a sample says per second, given the one before it. A counter that went
back (the guest restarted, or moved to another host) or an interval of no time gives no rate — a gap
in the chart — never a negative or absurd one."""

NS = 1e9
KIB = 1024
INSTANCE_SERIES = ("cpu", "memory")  # % of its vCPUs; bytes in use
DISK_SERIES = ("read_bytes", "write_bytes", "read_requests", "write_requests")  # per second
NIC_SERIES = ("rx_bytes", "tx_bytes", "rx_packets", "tx_packets")  # per second
HOST_SERIES = ("cpu", "memory", "guests_cpu", "guests_memory")  # % of its CPUs; bytes; the same for its guests
BUSY_MODES = ("kernel", "user")


def per_second(before, after, seconds: float) -> float | None:
    """(after - before) / seconds, or None: a value unknown, no time passed, or the counter went back."""
    if before is None or after is None or seconds <= 0 or after < before:
        return None
    return (after - before) / seconds


def cpu_percent(before, after, seconds: float, cpus) -> float | None:
    """CPU time (ns) spent per second, in % of `cpus` CPUs: 0 to 100."""
    used = per_second(before, after, seconds)
    if used is None or not cpus:
        return None
    return min(100.0, used / NS / cpus * 100)


def memory_in_use(counters: dict) -> float | None:
    """Bytes the guest uses by its own account (the balloon driver's available - unused) where it
    says, else what its QEMU process holds on the host."""
    available, unused = counters.get("memory_available_kib"), counters.get("memory_unused_kib")
    if available is not None and unused is not None:
        return max(available - unused, 0) * KIB
    rss = counters.get("rss_kib")
    return rss * KIB if rss is not None else None


def instance_rates(before: dict, after: dict, vcpus) -> dict:
    """{"values": [cpu %, memory bytes], "disks": {target: [4 rates]}, "nics": {target: [4 rates]}}
    from two device_stats samples ({"at": epoch seconds, ...}) of one running guest."""
    seconds = after["at"] - before["at"]
    return {
        "values": [cpu_percent(before.get("cpu_time_ns"), after.get("cpu_time_ns"), seconds, vcpus),
                   memory_in_use(after)],
        "disks": _devices(before.get("disks"), after.get("disks"), DISK_SERIES, seconds),
        "nics": _devices(before.get("nics"), after.get("nics"), NIC_SERIES, seconds),
    }  # fmt: skip


def _devices(before, after, names: tuple, seconds: float) -> dict[str, list]:
    earlier = {row.get("target"): row for row in before or [] if row.get("target")}
    return {
        row["target"]: [per_second(earlier.get(row["target"], {}).get(name), row.get(name), seconds) for name in names]
        for row in after or []
        if row.get("target")
    }


def host_cpu_percent(before: dict, after: dict) -> float | None:
    """Busy share of the host's CPU time between two readings of its per-mode times (ns)."""
    if not before or not after:
        return None
    total = sum(after.values()) - sum(before.values())
    busy = sum(after.get(mode, 0) - before.get(mode, 0) for mode in BUSY_MODES)
    if total <= 0 or busy < 0 or any(after.get(mode, 0) < before.get(mode, 0) for mode in after):
        return None
    return min(100.0, busy / total * 100)
