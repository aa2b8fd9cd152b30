"""The migrate page (destination and tunables; the checks shown all at once; queued when they pass), and
starting and ending a host's maintenance."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from config.forms import posted
from hosts.access import get_host_for_user
from instances.access import get_instance_for_user
from instances.actions import ACTIONS
from instances.host_operations import GUEST_MOVING_OPERATIONS
from instances.models import Instance, InstanceState
from instances.operation_pages import operation_page
from jobs.services import NoWorker, start_operation


@require_http_methods(["GET", "POST"])
@login_required
def migrate(request, pk: int):
    instance = get_instance_for_user(request, pk, "change")
    form = ACTIONS["migrate"].make_form(posted(request), instance, request.user)
    text = (
        "The running guest moves to the chosen host without stopping. The checks run now and again when the job "
        "starts (then also the CPU and whether the storage is shared); nothing moves unless all pass. It can be "
        "aborted while it copies: the guest then stays here, unharmed."
    )
    return operation_page(request, instance, form=form, kind="instance.live_migrate",
                          title=f"Migrate {instance} to another host", submit="Migrate", text=text)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def maintenance_start(request, host_pk: int):
    """Confirm, then queue the drain of the host (jobs: instances.migration.maintenance)."""
    host = get_host_for_user(request, host_pk, "change")
    if request.method == "POST":
        return _queue(request, host, "maintenance-start", f"{host} is going into maintenance")
    running = Instance.objects.filter(host=host, state__in=(InstanceState.RUNNING, InstanceState.PAUSED)).count()
    return render(request, "instances/migration/maintenance.html", {"host": host, "running": running})


@require_POST
@login_required
def maintenance_end(request, host_pk: int):
    host = get_host_for_user(request, host_pk, "change")
    return _queue(request, host, "maintenance-end", f"{host} is being reopened")


def _queue(request, host, name: str, text: str):
    try:
        op = start_operation(kind=GUEST_MOVING_OPERATIONS[name].kind, target=host, user=request.user)
    except NoWorker as error:
        messages.error(request, str(error))
        return redirect("host-detail", pk=host.pk)
    messages.info(request, f"{text} (operation #{op.pk}).")
    return redirect("operation-detail", pk=op.pk)
