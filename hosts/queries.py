"""Read-side queries shared by pages: one query for the host table, whatever its size."""

from django.db.models import Count, Q, QuerySet

from hosts.models import Host
from instances.models import InstanceState


def hosts_for_table() -> QuerySet:
    """Hosts with their instance counts by state (`instances_running`, ...), without big fields."""
    counts = {
        f"instances_{state}": Count("instances", filter=Q(instances__state=state)) for state in InstanceState.values
    }
    return Host.objects.defer("capabilities", "inventory", "secret").annotate(**counts)
