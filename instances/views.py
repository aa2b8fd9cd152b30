"""Instance pages read the database only; every change becomes an operation."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.scope import visible_instances
from config.lookups import positive_id
from config.options import select_options
from config.paging import page_of
from config.prepared import Prepared
from hosts.queries import host_choices
from instances.access import get_instance_for_user, may
from instances.actions import actions_for, allowed_now, grouped
from instances.device_stats import device_rows
from instances.models import InstanceState
from instances.queries import instances_for_list, ordering
from instances.templatetags import instance_rows
from jobs.models import Operation

COLUMNS = [("Name", "name"), ("Host", "host"), ("State", "state"), ("vCPUs", "vcpus"), ("Memory", "memory"),
           ("Flavor", None), ("Autostart", None)]  # fmt: skip
SORT_CHOICES = [("name", "Name A–Z"), ("-name", "Name Z–A"), ("host", "Host"), ("state", "State"),
                ("vcpus", "vCPUs"), ("memory", "Memory"), ("-created", "Newest"), ("created", "Oldest")]  # fmt: skip
PAGE_SIZE = 50
RECENT_OPERATIONS = 10


def _recent_operations(target_id: str):
    """The newest operations on an instance (its id as text), with their users."""
    return Operation.objects.filter(target_type="instance", target_id=target_id).select_related("user")[
        :RECENT_OPERATIONS
    ]


recent_operations = Prepared(_recent_operations)


@require_GET
@login_required
@permission_required("instances.view_instance", raise_exception=True)
def instance_list(request):
    host_id = positive_id(request.GET.get("host"))
    state = request.GET.get("state", "")
    state = state if state in InstanceState.values else ""
    q = request.GET.get("q", "").replace("\x00", "").strip()[:100]  # PostgreSQL refuses NUL in text
    sort, _ = ordering(request.GET.get("sort", "name"))
    instances = visible_instances(request.user, instances_for_list(host_id=host_id, state=state, q=q, sort=sort))
    instances = instances.only(*instance_rows.FIELDS)
    context = {
        "page": page_of(instances, PAGE_SIZE, request),
        "host_options": select_options(host_choices(request.user), host_id),
        "state_options": select_options(InstanceState.choices, state),
        "host_id": host_id,
        "state": state,
        "q": q,
        "sort": sort,
        "columns": _columns(sort),
        "sort_options": select_options(SORT_CHOICES, sort),
        "filtered": bool(host_id or state or q),
    }
    return render(request, "instances/instance_list.html", context)


def _columns(sort: str) -> list[dict]:
    """Table headers: a click sorts by the column, a second click reverses."""
    return [
        {"label": label, "key": key, "sort": f"-{key}" if sort == key else key, "order": _order(sort, key)}
        for label, key in COLUMNS
    ]


def _order(sort: str, key: str | None) -> str:
    if key and sort == key:
        return "ascending"
    return "descending" if key and sort == f"-{key}" else ""


@require_GET
@login_required
def instance_detail(request, pk: int):
    instance = get_instance_for_user(request, pk, "view")
    actions = []
    if may(request.user, instance, "change"):
        may_delete = may(request.user, instance, "delete")
        actions = [action for action in actions_for(instance) if action.name != "delete" or may_delete]
    recent = recent_operations(str(instance.pk))
    groups = grouped(actions)
    context = {
        "instance": instance,
        "details": instance.details or {},
        "actions": actions,
        "action_groups": [(groups["power"], "Power"), (groups["state"], "State")],
        "more_actions": groups["more"],
        "operations": recent,
        "boot_warning": next((op.result["warning"] for op in recent if op.result.get("warning")), ""),
        "may_console": may(request.user, instance, "console"),
        "graphics": {g.get("type") for g in (instance.details or {}).get("graphics", [])},
        "may_change": may(request.user, instance, "change"),
        "can": allowed_now(instance),
    }
    context["disks"], context["nics"], context["devices_read_at"] = device_rows(instance)
    return render(request, "instances/instance_detail.html", context)
