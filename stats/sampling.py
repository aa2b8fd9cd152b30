"""The monitor's sampler: on each reading of a host (its facts and all its domains, in one bulk
call), the rates since the last reading go into the history — once per STATS_INTERVAL slot, and no
libvirt call of its own. The previous counters live in the monitor's memory: after a restart the
first reading only sets them (a gap of one sample)."""

import re
import time

from django.conf import settings

from stats import latest
from stats.history import History
from stats.rates import DISK_SERIES, HOST_SERIES, INSTANCE_SERIES, NIC_SERIES, host_cpu_percent, instance_rates

MIB = 1024 * 1024


class Sampler:
    def __init__(self):
        self.last: dict[int, dict] = {}  # host pk -> {"at", "cpu", "guests": {uuid: counters}}

    def sample(self, host, facts, records, *, at: float | None = None) -> bool:
        """Record the rates of `host` and its running guests since its last sample; False when this
        reading falls in the same slot as the last one (or is the first)."""
        at = time.time() if at is None else at
        step = settings.STATS_INTERVAL
        previous = self.last.get(host.pk)
        if previous is not None and int(at // step) == int(previous["at"] // step):
            return False
        resources = facts.resources or {}
        running = [record for record in records if record.state == "running" and record.devices]
        self.last[host.pk] = {"at": at, "cpu": resources.get("cpu_time_ns") or {},
                              "guests": {record.uuid: {"at": at, **record.devices} for record in running}}  # fmt: skip
        if previous is None:
            return False
        guests_cpus, guests_memory, newest = 0.0, 0.0, {}  # CPUs' worth of time their guests used
        for record in running:
            before = previous["guests"].get(record.uuid)
            if before is None:
                continue
            now = self.last[host.pk]["guests"][record.uuid]
            rates = instance_rates(before, now, record.vcpus)
            _add(f"instance-{record.uuid}", INSTANCE_SERIES, at, rates["values"])
            for kind, names in (("disk", DISK_SERIES), ("nic", NIC_SERIES)):
                for target, values in rates[f"{kind}s"].items():
                    _add(f"instance-{record.uuid}-{kind}-{device_key(target)}", names, at, values)
            cpu, memory = rates["values"]
            newest[record.uuid] = {"cpu": cpu, "memory": memory}
            guests_cpus += (cpu or 0) / 100 * (record.vcpus or 0)
            guests_memory += memory or 0
        cpus = resources.get("vcpus_total") or host.cpus or 0
        used = resources.get("memory_used_mib")
        host_cpu = host_cpu_percent(previous["cpu"], self.last[host.pk]["cpu"])
        _add(f"host-{host.pk}", HOST_SERIES, at, [
            host_cpu,
            used * MIB if used is not None else None,
            min(100.0, guests_cpus / cpus * 100) if cpus else None,
            guests_memory,
        ])  # fmt: skip
        gone = set(previous["guests"]) - set(self.last[host.pk]["guests"])
        latest.record(host.pk, {"cpu": host_cpu}, newest, gone, at)
        return True


def _add(key: str, names: tuple, at: float, values: list) -> None:
    History(key, series=len(names)).add(at, values)


def device_key(target: str) -> str:
    """A device's name as it may appear in a history key."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", target)
