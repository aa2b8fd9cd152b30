"""Read-side queries shared by pages: one query for the host table, whatever its size."""

from django.db.models import Count, Q, QuerySet

from accounts.scope import scope_for, visible_hosts
from config.prepared import Prepared
from hosts.models import Host
from instances.models import InstanceState

every_host = Prepared(lambda: Host.objects.order_by("name").values_list("pk", "name"))


def hosts_for_table() -> QuerySet:
    """Hosts with their instance counts by state (`instances_running`, ...), without big fields."""
    counts = {
        f"instances_{state}": Count("instances", filter=Q(instances__state=state)) for state in InstanceState.values
    }
    return Host.objects.defer("capabilities", "inventory", "secret").annotate(**counts)


def host_choices(user) -> list[tuple[int, str]]:
    """(id, name) of the hosts the user sees, by name: a filter's choices (SQL compiled once for
    those who see the whole fleet)."""
    if scope_for(user).fleet:
        return every_host()
    return list(visible_hosts(user, Host.objects.all()).order_by("name").values_list("pk", "name"))
