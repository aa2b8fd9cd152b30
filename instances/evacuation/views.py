"""The evacuate page of a host that is down: its guests, where the scheduler would put each now,
what the admin must make sure of first; queued when confirmed (jobs: instances.evacuation.operations)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from config.forms import posted
from hosts.access import get_host_for_user
from hosts.models import HostStatus
from instances.evacuation.forms import EvacuateForm
from instances.migration.maintenance import choose_destination
from instances.models import HELD_STATES, Instance
from jobs.services import Busy, NoWorker, start_operation


@require_http_methods(["GET", "POST"])
@login_required
def evacuate(request, host_pk: int):
    host = get_host_for_user(request, host_pk, "change")
    if host.status == HostStatus.UP:
        messages.error(request, f"{host} answers: only the guests of a host that is down are evacuated.")
        return redirect("host-detail", pk=host.pk)
    form = EvacuateForm(posted(request), host=host)
    if form.is_valid():
        try:
            op = start_operation(kind="host.evacuate", target=host, user=request.user,
                                 params={"from_image": form.cleaned_data["from_image"]})  # fmt: skip
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
