"""Pages of the NIC operations (see operation_pages)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.views.decorators.http import require_http_methods, require_POST

from config.forms import posted
from instances.access import get_instance_for_user
from instances.nics.devices import NIC_OPERATIONS
from instances.operation_pages import operation_page


def _subject(nic: dict) -> str:
    return f"{nic['mac']} on {nic.get('type')} {nic.get('source') or '—'} ({nic.get('model') or 'default model'})."


@require_http_methods(["GET", "POST"])
@login_required
def nic_attach(request, pk: int):
    instance = get_instance_for_user(request, pk, "change")
    operation = NIC_OPERATIONS["attach-interface"]
    return operation_page(request, instance, form=operation.form_for(posted(request), instance, None),
                          kind=operation.kind, title=f"Attach a network interface to {instance}", submit="Attach",
                          text="Added to the running guest and to its definition, with a new MAC.")  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def nic_detach(request, pk: int, mac: str):
    instance = get_instance_for_user(request, pk, "change")
    operation = NIC_OPERATIONS["detach-interface"]
    nic = operation.device(instance, mac)
    return operation_page(request, instance, form=None, kind=operation.kind,
                          title=f"Detach {nic['mac']} from {instance}?", submit="Detach",
                          text="The interface is removed from the guest and its definition.",
                          subject=_subject(nic), params=operation.params(nic))  # fmt: skip


@require_POST
@login_required
def nic_link(request, pk: int, mac: str, state: str):
    instance = get_instance_for_user(request, pk, "change")
    operation = NIC_OPERATIONS.get(f"link-{state}")
    if operation is None:
        raise Http404("A link is up or down.")
    nic = operation.device(instance, mac)
    return operation_page(request, instance, form=None, kind=operation.kind, title="", submit="",
                          params=operation.params(nic))  # fmt: skip
