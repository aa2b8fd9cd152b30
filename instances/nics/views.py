"""Pages of the NIC operations (see operation_pages)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.views.decorators.http import require_http_methods, require_POST

from config.forms import posted
from config.lookups import item_or_404
from instances.access import get_instance_for_user
from instances.nics.forms import AttachNicForm
from instances.operation_pages import operation_page


def _nic(instance, mac: str) -> dict:
    nics, message = (instance.details or {}).get("interfaces", []), f"No network interface {mac} on {instance}."
    return item_or_404(nics, lambda nic: nic.get("mac", "").lower() == mac.lower(), message)


def _subject(nic: dict) -> str:
    return f"{nic['mac']} on {nic.get('type')} {nic.get('source') or '—'} ({nic.get('model') or 'default model'})."


@require_http_methods(["GET", "POST"])
@login_required
def nic_attach(request, pk: int):
    instance = get_instance_for_user(request, pk, "change")
    form = AttachNicForm(posted(request), instance=instance)
    return operation_page(request, instance, form=form, kind="instance.attach_interface",
                          title=f"Attach a network interface to {instance}", submit="Attach",
                          text="Added to the running guest and to its definition, with a new MAC.")  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def nic_detach(request, pk: int, mac: str):
    instance = get_instance_for_user(request, pk, "change")
    nic = _nic(instance, mac)
    return operation_page(request, instance, form=None, kind="instance.detach_interface",
                          title=f"Detach {nic['mac']} from {instance}?", submit="Detach",
                          text="The interface is removed from the guest and its definition.",
                          subject=_subject(nic), params={"mac": nic["mac"]})  # fmt: skip


@require_POST
@login_required
def nic_link(request, pk: int, mac: str, state: str):
    instance = get_instance_for_user(request, pk, "change")
    nic = _nic(instance, mac)
    if state not in ("up", "down"):
        raise Http404("A link is up or down.")
    return operation_page(request, instance, form=None, kind="instance.set_link", title="", submit="",
                          params={"mac": nic["mac"], "up": state == "up"})  # fmt: skip
