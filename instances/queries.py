"""Read-side queries for instance pages: a fixed number of SQL queries whatever the inventory's size."""

import uuid

from django.db.models import Q, QuerySet

from instances.models import Instance, InstanceState

# sort parameter -> order_by fields; "-<key>" reverses the first field.
SORTS = {
    "name": ("name", "id"),
    "host": ("host__name", "name", "id"),
    "state": ("state", "name", "id"),
    "vcpus": ("vcpus", "name", "id"),
    "memory": ("memory_mib", "name", "id"),
    "created": ("created", "id"),
}
BIG_FIELDS = ("details", "rescue_definition", "host__capabilities", "host__resources", "host__inventory")


def ordering(sort: str) -> tuple[str, tuple[str, ...]]:
    """The sort actually applied (unknown ones fall back to name) and its order_by fields."""
    key = sort.removeprefix("-")
    if key not in SORTS:
        return "name", SORTS["name"]
    first, *rest = SORTS[key]
    return sort, (f"-{first}" if sort.startswith("-") else first, *rest)


def search(queryset: QuerySet, q: str) -> QuerySet:
    """Name contains `q`, or the uuid is `q`."""
    condition = Q(name__icontains=q)
    try:
        condition |= Q(uuid=uuid.UUID(q))
    except ValueError:
        pass
    return queryset.filter(condition)


def instances_for_list(*, host_id: int | None = None, state: str = "", q: str = "", sort: str = "name") -> QuerySet:
    """Instances with their host and flavor, filtered and sorted, without the big JSON fields."""
    queryset = Instance.objects.select_related("host", "flavor").defer(*BIG_FIELDS)
    if host_id:
        queryset = queryset.filter(host_id=host_id)
    if state in InstanceState.values:
        queryset = queryset.filter(state=state)
    if q:
        queryset = search(queryset, q)
    return queryset.order_by(*ordering(sort)[1])
