"""Host pages: they read the database only; changes become operations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from hosts.access import get_host_for_user
from hosts.models import Host
from jobs.services import NoWorker, start_operation


@require_GET
@login_required
@permission_required("hosts.view_host", raise_exception=True)
def host_list(request):
    return render(request, "hosts/host_list.html", {"hosts": Host.objects.all()})


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
    return redirect("host-list")
