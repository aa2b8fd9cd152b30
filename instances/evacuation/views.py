"""The evacuate page of a host that is down: its guests, where the scheduler would put each now,
what the admin must make sure of first; queued when confirmed (jobs: instances.evacuation.operations)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from config.forms import posted
from hosts.access import get_host_for_user
from instances.host_operations import GUEST_MOVING_OPERATIONS
from instances.migration.maintenance import choose_destination
from instances.models import HELD_STATES, Instance
from jobs.services import Busy, NoWorker, start_operation


@require_http_methods(["GET", "POST"])
@login_required
def evacuate(request, host_pk: int):
    host, operation = get_host_for_user(request, host_pk, "change"), GUEST_MOVING_OPERATIONS["evacuate"]
    refused = operation.refused(host, {})
    if refused:
        messages.error(request, refused)
        return redirect("host-detail", pk=host.pk)
    form = operation.form_for(posted(request), host, {})
    if form.is_valid():
        try:
            op = start_operation(kind=operation.kind, target=host, user=request.user, params=operation.params({}, form))
        except (Busy, NoWorker) as error:
            messages.error(request, str(error))
            return redirect("host-detail", pk=host.pk)
        messages.info(request, f"The guests of {host} are being evacuated (operation #{op.pk}).")
        return redirect("operation-detail", pk=op.pk)
    guests = []
    for guest in Instance.objects.filter(host=host).exclude(state__in=HELD_STATES).select_related("host"):
        dest, why = choose_destination(guest, request.user, cold=True)
        known = bool((guest.details or {}).get("definition"))
        guests.append({"instance": guest, "destination": dest, "why": why, "known": known})
    return render(request, "instances/evacuation/evacuate.html", {"host": host, "form": form, "guests": guests})
