"""The checks before a live migration (or a cold move to another host), fed from the database (the
facts the monitor keeps): what the migrate and resize pages show. The job runs the same checks
again on what libvirt says then (virt.migration.host_view), with the CPU comparison and the
shared-storage probe on top."""

import dataclasses

from django.conf import settings
from django.db.models import Sum

from hosts.models import Host, HostStatus
from instances.models import Flavor, Instance, InstanceState
from jobs.models import ACTIVE, Operation
from virt.migration_checks import HostView, check, needs_from_details

CLAIMING = (InstanceState.RUNNING, InstanceState.PAUSED, InstanceState.MIGRATING)


def host_view_of(host: Host) -> HostView:
    """A host as the checks see it, from its stored facts and the inventory."""
    claimed = Instance.objects.filter(host=host, state__in=CLAIMING).aggregate(memory=Sum("memory_mib"),
                                                                               vcpus=Sum("vcpus"))  # fmt: skip
    resources, inventory = host.resources or {}, host.inventory or {}
    return HostView(
        name=host.name,
        up=host.status == HostStatus.UP,
        uuid=(host.capabilities or {}).get("uuid", ""),
        guest_types=tuple((host.capabilities or {}).get("guest_types", [])),
        memory_total_mib=resources.get("memory_total_mib") or host.memory_mib or 0,
        memory_committed_mib=claimed["memory"] or 0,
        vcpus_total=resources.get("vcpus_total") or host.cpus or 0,
        vcpus_committed=claimed["vcpus"] or 0,
        networks=frozenset(net["name"] for net in inventory.get("networks", []) if net.get("active")),
        maintenance=host.maintenance,
    )


def problems(instance: Instance, dest: Host, *, flavor: Flavor | None = None, cold: bool = False) -> list[str]:
    """Every reason the instance cannot move to `dest` now, as far as the database knows: live, or
    `cold` (evacuation), or with `flavor` powered off at that flavor's size (resize, cold migration)."""
    needs = needs_from_details(instance.name, instance.details)
    if flavor is not None:
        needs = dataclasses.replace(needs, vcpus=flavor.vcpus, memory_mib=flavor.memory_mib)
    found = check(
        needs,
        host_view_of(instance.host),
        host_view_of(dest),
        memory_ratio=settings.MEMORY_OVERCOMMIT_RATIO,
        cpu_ratio=settings.CPU_OVERCOMMIT_RATIO,
    )
    if flavor is None and not cold and instance.state not in (InstanceState.RUNNING, InstanceState.PAUSED):
        found.insert(0, f"{instance} is {instance.get_state_display().lower()}: only a running guest moves live.")
    if Operation.objects.filter(target_type="instance", target_id=str(instance.pk), status__in=ACTIVE).exists():
        found.append(f"Another operation is running on {instance}: wait for it to end.")
    return found
