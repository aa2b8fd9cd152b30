"""The fleet dashboard of the home page: hosts by CPU and memory pressure, the ten busiest guests,
operations that failed in the last day, hosts that are down — each limited to what the user sees,
from the database and the sampler's newest figures in Redis (no libvirt, no history file)."""

from datetime import timedelta

from django.utils import timezone

from accounts.scope import visible_hosts, visible_instances, visible_operations
from hosts.models import Host, HostStatus
from instances.models import Instance
from jobs.models import Operation, OperationStatus
from stats import latest

BUSIEST = 10  # instances listed
PRESSED = 10  # hosts listed


def host_pressure(user) -> list[dict]:
    """The PRESSED hosts the user sees that are up with the highest CPU use (newest sample) or memory
    in use, the most pressed first (by the higher of the two)."""
    hosts = list(visible_hosts(user, Host.objects.filter(status=HostStatus.UP)).only("pk", "name", "resources"))
    figures = latest.hosts([host.pk for host in hosts])
    rows = []
    for host in hosts:
        resources = host.resources or {}
        total, used = resources.get("memory_total_mib"), resources.get("memory_used_mib")
        memory = used / total * 100 if total and used is not None else None
        rows.append({"host": host, "cpu": figures.get(host.pk, {}).get("cpu"), "memory": memory})
    return sorted(rows, key=lambda row: -max(row["cpu"] or 0, row["memory"] or 0))[:PRESSED]


def busiest_instances(user) -> list[dict]:
    def visible_uuids(uuids: list[str]) -> set[str]:
        found = visible_instances(user, Instance.objects.filter(uuid__in=uuids)).values_list("uuid", flat=True)
        return {str(uuid) for uuid in found}

    top = latest.busiest(visible_uuids, BUSIEST)
    rows = {str(row.uuid): row for row in Instance.objects.filter(uuid__in=[uuid for uuid, _ in top])
            .select_related("host").only("pk", "uuid", "name", "vcpus", "host__name")}  # fmt: skip
    return [{"instance": rows[uuid], **figures} for uuid, figures in top if uuid in rows]


def dashboard(user) -> dict:
    since = timezone.now() - timedelta(days=1)
    failed = visible_operations(user, Operation.objects.select_related("user")).filter(
        status=OperationStatus.FAILED, finished__gte=since
    )
    return {
        "pressure": host_pressure(user) if user.has_perm("hosts.view_host") else [],
        "hosts_down": visible_hosts(user, Host.objects.filter(status=HostStatus.DOWN)).only("pk", "name", "last_error")
        if user.has_perm("hosts.view_host") else [],
        "busiest": busiest_instances(user) if user.has_perm("instances.view_instance") else [],
        "failed": failed.order_by("-finished")[:10] if user.has_perm("jobs.view_operation") else [],
    }  # fmt: skip
