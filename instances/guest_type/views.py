"""Probe KVM again from the host page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from hosts.access import get_host_for_user
from instances.host_operations import GUEST_MOVING_OPERATIONS
from jobs.services import NoWorker, start_operation


@require_POST
@login_required
def probe_kvm(request, host_pk: int):
    host = get_host_for_user(request, host_pk, "change")
    try:
        op = start_operation(kind=GUEST_MOVING_OPERATIONS["probe-kvm"].kind, target=host, user=request.user)
    except NoWorker as error:
        messages.error(request, str(error))
        return redirect("host-detail", pk=host.pk)
    messages.info(request, f"A probe guest is booting under KVM on {host} (operation #{op.pk}).")
    return redirect("operation-detail", pk=op.pk)
