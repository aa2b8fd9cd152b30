"""Host CPUs already dedicated to instances (hw:cpu_policy=dedicated), as their definitions were
last read: a new dedicated guest is pinned to the others only."""

from instances.models import Instance
from virt.numa import parse_cpuset


def _spec(instance: Instance, key: str) -> str:
    return str((instance.flavor.extra_specs if instance.flavor else {}).get(key, "")).strip().lower()


def dedicated_cpus(instance: Instance) -> frozenset[int]:
    """CPUs the other instances of `instance`'s host have dedicated vCPUs or isolated emulator threads on."""
    taken: set[int] = set()
    others = Instance.objects.filter(host_id=instance.host_id).exclude(pk=instance.pk).select_related("flavor")
    for other in others:
        if _spec(other, "hw:cpu_policy") != "dedicated":
            continue
        numa = (other.details or {}).get("numa") or {}
        cpusets = [pin.get("cpuset", "") for pin in numa.get("vcpupin", [])]
        if _spec(other, "hw:emulator_threads_policy") == "isolate":
            cpusets.append(numa.get("emulatorpin", ""))
        for cpuset in filter(None, cpusets):
            taken |= parse_cpuset(cpuset)
    return frozenset(taken)
