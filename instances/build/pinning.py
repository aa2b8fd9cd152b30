"""Host CPUs already dedicated to instances (hw:cpu_policy=dedicated), as their definitions were
last read: a new dedicated guest is pinned to the others only. Choosing is a claim per host held
until the new definition is stored, so two spawns never pin the same CPU, whatever workers run them."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from instances.models import Instance
from jobs.claims import claim
from virt.domains import read_domain_details
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


@contextmanager
def choosing_cpus(instance: Instance, report) -> Iterator[None]:
    """Around reading the CPUs taken (dedicated_cpus), defining the new guest and storing its
    definition (store_definition): for a dedicated guest, a claim on its host's CPUs."""
    if _spec(instance, "hw:cpu_policy") != "dedicated":
        yield
        return
    waiting = f"waiting for another spawn choosing CPUs on {instance.host}"
    with claim(f"lvc:cpu-pinning:{instance.host_id}", waiting=waiting, on_wait=partial(report, 65)):
        yield


def store_definition(instance: Instance, conn) -> None:
    """The new guest's definition (its pins) in the inventory now, for the next spawn to read."""
    details = read_domain_details(conn, str(instance.uuid))
    Instance.objects.filter(pk=instance.pk).update(details=details)
