"""The pages over every app: the home page (the fleet at a glance) and the Operations page (every
job, newest first, filtered by user, host, instance or status, updated live)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.scope import scope_for, visible_hosts, visible_instances, visible_operations
from audit.models import AuditAction
from audit.services import record, record_denied
from config.lookups import positive_id
from config.options import select_options
from config.paging import page_of
from config.prepared import Prepared
from hosts.models import Host
from hosts.queries import host_choices, hosts_for_table
from instances.models import Instance
from jobs.authority import stop_refusal
from jobs.models import Operation, OperationStatus
from jobs.services import NotStoppable, cancel, request_stop
from jobs.templatetags import operation_rows
from stats.dashboard import dashboard

OPERATIONS_PAGE = 50


@require_GET
@login_required
def home(request):
    user = request.user
    context = {
        "hosts": visible_hosts(user, hosts_for_table()) if user.has_perm("hosts.view_host") else Host.objects.none(),
        "instance_states": (
            visible_instances(user, Instance.objects.all())
            .values("state")
            .annotate(count=Count("id"))
            .order_by("state")
            if user.has_perm("instances.view_instance")
            else []
        ),
        "operations": (
            visible_operations(user, Operation.objects.select_related("user"))[:10]
            if user.has_perm("jobs.view_operation")
            else []
        ),
        **dashboard(user),
    }
    return render(request, "home.html", context)


@require_GET
@login_required
@permission_required("jobs.view_operation", raise_exception=True)
def operation_list(request):
    operations = visible_operations(request.user, Operation.objects.select_related("user").only(*operation_rows.FIELDS))
    status = request.GET.get("status", "")
    user_id, host_id, instance_id = (positive_id(request.GET.get(key)) for key in ("user", "host", "instance"))
    scope = []  # what a live operation must match to be added to the table
    if status in OperationStatus.values:
        operations = operations.filter(status=status)
        scope.append(f"status:{status}")
    else:
        status = ""
    if user_id:
        operations = operations.filter(user_id=user_id)
        scope.append(f"user:{user_id}")
    if host_id:
        operations = operations.filter(host_id=host_id)
        scope.append(f"host:{host_id}")
    instance = None
    if instance_id:
        operations = operations.filter(target_type="instance", target_id=str(instance_id))
        # named only when the user sees it: otherwise "instance #N", as for one that does not exist
        instance = visible_instances(request.user, Instance.objects.filter(pk=instance_id)).only("pk", "name").first()
        scope.append(f"instance:{instance_id}")
    page = page_of(operations, OPERATIONS_PAGE, request)
    context = {
        "page": page,
        "operations_shown": OPERATIONS_PAGE if page.number == 1 else 0,  # new ones are added on the first page only
        "status": status,
        "status_options": select_options(OperationStatus.choices, status),
        "user_id": user_id,
        "user_options": select_options(_users_with_operations(request.user), user_id),
        "host_id": host_id,
        "host_options": select_options(host_choices(request.user), host_id),
        "instance_id": instance_id,
        "instance": instance,
        "scope": " ".join(scope),
    }
    return render(request, "jobs/operation_list.html", context)


def _users_with(operations):
    """(id, username) of the users who asked for one of `operations`: one EXISTS per user (a join
    over every operation would read them all)."""
    users = get_user_model().objects.filter(Exists(operations.filter(user=OuterRef("pk"))))
    return users.order_by("username").values_list("pk", "username")


everyone_with_operations = Prepared(lambda: _users_with(Operation.objects.all()))


def _users_with_operations(user) -> list[tuple[int, str]]:
    """The users who asked for an operation this user sees (SQL compiled once for those who see
    every operation)."""
    if scope_for(user).fleet:
        return everyone_with_operations()
    return list(_users_with(visible_operations(user, Operation.objects.all())))


@require_GET
@login_required
@permission_required("jobs.view_operation", raise_exception=True)
def operation_detail(request, pk: int):
    op = get_object_or_404(visible_operations(request.user, Operation.objects.select_related("user")), pk=pk)
    return render(request, "jobs/operation_detail.html", {"op": op})


@require_POST
@login_required
@permission_required("jobs.view_operation", raise_exception=True)
def operation_stop(request, pk: int):
    """Cancel a queued operation, or ask a running one of a stoppable kind to abort. It takes the
    same right on the target as starting the operation."""
    op = get_object_or_404(visible_operations(request.user, Operation.objects.select_related("user")), pk=pk)
    try:
        messages.success(request, stop_for(request, op))
    except NotStoppable as error:
        messages.error(request, str(error))
    return redirect("operation-detail", pk=op.pk)


def stop_for(request, op: Operation) -> str:
    """Cancel a queued operation or ask a running one to abort, for the request's user (audited);
    what was done. PermissionDenied when they may not, NotStoppable when it cannot be."""
    refused = stop_refusal(request.user, op)
    if refused:
        record_denied(request, f"stop operation {op.pk} ({refused})")
        raise PermissionDenied(f"You may not stop this operation: {refused}.")
    queued = op.status == OperationStatus.QUEUED
    cancel(op, user=request.user) if queued else request_stop(op, user=request.user)
    record(action=AuditAction.OPERATION_CANCEL if queued else AuditAction.OPERATION_ABORT, request=request,
           object_type=op.target_type, object_id=op.target_id, object_name=op.target_name,
           detail=f"{op.label} (operation #{op.pk})")  # fmt: skip
    return "Cancelled: it will not run." if queued else "Asked to abort: it stops within a second."
