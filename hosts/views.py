"""Host pages: they read the database only; changes that need the host become operations."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scope import visible_hosts
from audit.models import AuditAction
from audit.services import record
from config.forms import posted
from hosts.access import get_host_for_user
from hosts.forms import HostForm
from hosts.models import Host
from hosts.queries import hosts_for_table
from jobs.services import NoWorker, start_operation


@require_GET
@login_required
@permission_required("hosts.view_host", raise_exception=True)
def host_list(request):
    return render(request, "hosts/host_list.html", {"hosts": visible_hosts(request.user, hosts_for_table())})


@require_GET
@login_required
def host_detail(request, pk: int):
    host = get_host_for_user(request, pk, "view")
    resources = host.resources or {}
    free = resources.get("numa_free_mib", {})
    cells = [{**cell, "free_mib": free.get(str(cell["id"]))} for cell in host.capabilities.get("numa_cells", [])]
    context = {
        "host": host,
        "resources": resources,
        "numa_cells": cells,
        "cpu_share": _cpu_share(resources.get("cpu_time_ns", {})),
        "virt_type": settings.VIRT_TYPE,
    }
    return render(request, "hosts/host_detail.html", context)


def _cpu_share(cpu_time: dict) -> dict:
    """Kernel/user/idle/iowait as percentages of the CPU time since boot."""
    total = sum(cpu_time.values())
    return {key: round(100 * value / total, 1) for key, value in cpu_time.items()} if total else {}


@require_POST
@login_required
def host_check(request, pk: int):
    host = get_host_for_user(request, pk, "change")
    try:
        op = start_operation(kind="host.check", target=host, user=request.user)
    except NoWorker as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"Checking the connection to {host.name} (operation #{op.pk}).")
    return redirect("host-detail", pk=pk) if request.POST.get("from") == "detail" else redirect("host-list")


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("hosts.add_host", raise_exception=True)
def host_add(request):
    return _save(request, None)


@require_http_methods(["GET", "POST"])
@login_required
def host_edit(request, pk: int):
    return _save(request, get_host_for_user(request, pk, "change"))


def _save(request, host: Host | None):
    """Validate the form here; the worker tests the connection and saves only if it works."""
    form = HostForm(posted(request), instance=host)
    if request.method == "POST" and form.is_valid():
        try:
            op = form.queue_save(request.user)
        except NoWorker as error:
            messages.error(request, str(error))
        else:
            return redirect("operation-detail", pk=op.pk)
    return render(request, "hosts/host_form.html", {"form": form, "host": host})


@require_http_methods(["GET", "POST"])
@login_required
def host_delete(request, pk: int):
    host = get_host_for_user(request, pk, "delete")
    if request.method == "POST":
        remove_host(request, host)
        messages.success(request, f"Host {host.name} removed from the console (nothing changed on the host).")
        return redirect("host-list")
    return render(request, "hosts/host_confirm_delete.html", {"host": host, "instances": host.instances.count()})


def remove_host(request, host: Host) -> None:
    """Forget the host and its inventory rows (they only mirror it; nothing changes on the host); audited."""
    pk = host.pk
    host.delete()  # with its inventory rows
    record(action=AuditAction.HOST_REMOVE, object_type="host", object_id=str(pk), object_name=host.name,
           detail=f"{host.uri} removed from the console", request=request)  # fmt: skip
