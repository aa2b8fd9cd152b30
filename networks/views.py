"""Network and filter pages: they read Host.inventory only; every change becomes an operation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.forms import posted
from hosts.access import get_host_for_user
from jobs.services import start_from_page
from networks.host_operations import NETWORK_OPERATIONS, filters, find_filter, find_network, networks


def _queue(request, host, name: str, found: dict, form=None, back: str = "network-list"):
    """Queue the operation `name` (NETWORK_OPERATIONS): its page, or back to the list without a worker."""
    operation = NETWORK_OPERATIONS[name]
    response = start_from_page(request, kind=operation.kind, target=host, params=operation.params(found, form))
    return response or redirect(back, host_pk=host.pk)


# --- Networks ------------------------------------------------------------------------------------


@require_GET
@login_required
def network_list(request, host_pk: int):
    host = get_host_for_user(request, host_pk, "view")
    return render(request, "networks/network_list.html", {"host": host, "networks": networks(host)})


@require_http_methods(["GET", "POST"])
@login_required
def network_create(request, host_pk: int):
    host = get_host_for_user(request, host_pk, "change")
    form = NETWORK_OPERATIONS["network-create"].form_for(posted(request), host, {})
    if request.method == "POST" and form.is_valid():
        operation = NETWORK_OPERATIONS["network-create"]
        if response := start_from_page(request, kind=operation.kind, target=host, params=operation.params({}, form)):
            return response
    return render(request, "networks/network_form.html", {"host": host, "form": form})


def _network_change(request, host_pk: int, name: str, operation: str):
    host = get_host_for_user(request, host_pk, "change")
    return _queue(request, host, operation, find_network(host, name))


@require_POST
@login_required
def network_start(request, host_pk: int, name: str):
    return _network_change(request, host_pk, name, "network-start")


@require_POST
@login_required
def network_stop(request, host_pk: int, name: str):
    return _network_change(request, host_pk, name, "network-stop")


@require_POST
@login_required
def network_autostart(request, host_pk: int, name: str):
    host = get_host_for_user(request, host_pk, "change")
    found = find_network(host, name)
    form = NETWORK_OPERATIONS["network-autostart"].form_for(request.POST, host, found)
    if not form.is_valid():
        messages.error(request, "Say whether autostart should be on or off.")
        return redirect("network-list", host_pk=host_pk)
    return _queue(request, host, "network-autostart", found, form)


@require_http_methods(["GET", "POST"])
@login_required
def network_delete(request, host_pk: int, name: str):
    host = get_host_for_user(request, host_pk, "change")
    found = find_network(host, name)
    if request.method == "POST":
        return _queue(request, host, "network-delete", found)
    return render(request, "networks/network_confirm_delete.html", {"host": host, "network": found["item"]})


# --- Network filters -----------------------------------------------------------------------------


@require_GET
@login_required
def nwfilter_list(request, host_pk: int):
    host = get_host_for_user(request, host_pk, "view")
    return render(request, "networks/nwfilter_list.html", {"host": host, "nwfilters": filters(host)})


@require_http_methods(["GET", "POST"])
@login_required
def nwfilter_define(request, host_pk: int):
    host = get_host_for_user(request, host_pk, "change")
    operation = NETWORK_OPERATIONS["filter-define"]
    form = operation.form_for(posted(request), host, {})
    if request.method == "POST" and form.is_valid():
        if response := start_from_page(request, kind=operation.kind, target=host, params=operation.params({}, form)):
            return response
    return render(request, "networks/nwfilter_form.html", {"host": host, "form": form})


@require_http_methods(["GET", "POST"])
@login_required
def nwfilter_undefine(request, host_pk: int, name: str):
    host = get_host_for_user(request, host_pk, "change")
    found = find_filter(host, name)
    if request.method == "POST":
        return _queue(request, host, "filter-undefine", found, back="nwfilter-list")
    users = [other["name"] for other in filters(host) if name in other.get("refs", [])]
    context = {"host": host, "nwfilter": found["item"], "referenced_by": users}
    return render(request, "networks/nwfilter_confirm_undefine.html", context)
