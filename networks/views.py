"""Network and filter pages: they read Host.inventory only; every change becomes an operation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.forms import posted
from config.lookups import item_or_404
from hosts.access import get_host_for_user
from jobs.services import start_from_page
from networks.forms import AutostartForm, FilterForm, NetworkForm


def _networks(host) -> list[dict]:
    return (host.inventory or {}).get("networks", [])


def _filters(host) -> list[dict]:
    return (host.inventory or {}).get("nwfilters", [])


def _find(items: list[dict], name: str, what: str) -> dict:
    return item_or_404(items, lambda item: item["name"] == name, f"No {what} named {name} on this host (as last read).")


# --- Networks ------------------------------------------------------------------------------------


@require_GET
@login_required
def network_list(request, host_pk: int):
    host = get_host_for_user(request, host_pk, "view")
    return render(request, "networks/network_list.html", {"host": host, "networks": _networks(host)})


@require_http_methods(["GET", "POST"])
@login_required
def network_create(request, host_pk: int):
    host = get_host_for_user(request, host_pk, "change")
    form = NetworkForm(posted(request), networks=_networks(host))
    if request.method == "POST" and form.is_valid():
        response = start_from_page(request, kind="network.create", target=host, params=form.params())
        if response:
            return response
    return render(request, "networks/network_form.html", {"host": host, "form": form})


def _network_change(request, host_pk: int, name: str, kind: str, params: dict | None = None):
    host = get_host_for_user(request, host_pk, "change")
    network = _find(_networks(host), name, "network")
    params = {"name": network["name"], **(params or {})}
    return start_from_page(request, kind=kind, target=host, params=params) or redirect("network-list", host_pk=host.pk)


@require_POST
@login_required
def network_start(request, host_pk: int, name: str):
    return _network_change(request, host_pk, name, "network.start")


@require_POST
@login_required
def network_stop(request, host_pk: int, name: str):
    return _network_change(request, host_pk, name, "network.stop")


@require_POST
@login_required
def network_autostart(request, host_pk: int, name: str):
    _find(_networks(get_host_for_user(request, host_pk, "change")), name, "network")
    form = AutostartForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say whether autostart should be on or off.")
        return redirect("network-list", host_pk=host_pk)
    return _network_change(request, host_pk, name, "network.autostart", {"autostart": form.cleaned_data["autostart"]})


@require_http_methods(["GET", "POST"])
@login_required
def network_delete(request, host_pk: int, name: str):
    host = get_host_for_user(request, host_pk, "change")
    network = _find(_networks(host), name, "network")
    if request.method == "POST":
        return _network_change(request, host_pk, name, "network.delete")
    return render(request, "networks/network_confirm_delete.html", {"host": host, "network": network})


# --- Network filters -----------------------------------------------------------------------------


@require_GET
@login_required
def nwfilter_list(request, host_pk: int):
    host = get_host_for_user(request, host_pk, "view")
    return render(request, "networks/nwfilter_list.html", {"host": host, "nwfilters": _filters(host)})


@require_http_methods(["GET", "POST"])
@login_required
def nwfilter_define(request, host_pk: int):
    host = get_host_for_user(request, host_pk, "change")
    form = FilterForm(posted(request), filters=_filters(host))
    if request.method == "POST" and form.is_valid():
        params = {"name": form.cleaned_data["name"], "xml": form.cleaned_data["xml"]}
        response = start_from_page(request, kind="nwfilter.define", target=host, params=params)
        if response:
            return response
    return render(request, "networks/nwfilter_form.html", {"host": host, "form": form})


@require_http_methods(["GET", "POST"])
@login_required
def nwfilter_undefine(request, host_pk: int, name: str):
    host = get_host_for_user(request, host_pk, "change")
    nwfilter = _find(_filters(host), name, "network filter")
    if request.method == "POST":
        response = start_from_page(request, kind="nwfilter.undefine", target=host, params={"name": nwfilter["name"]})
        return response or redirect("nwfilter-list", host_pk=host.pk)
    users = [other["name"] for other in _filters(host) if name in other.get("refs", [])]
    context = {"host": host, "nwfilter": nwfilter, "referenced_by": users}
    return render(request, "networks/nwfilter_confirm_undefine.html", context)
