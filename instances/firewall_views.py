"""The firewall page of an instance: put its own filter (on a host filter, with an IP address)
on one of its NICs, or take the filter off (an operation, see instances/firewall.py)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_http_methods

from config.forms import posted
from instances.access import get_instance_for_user
from instances.operation_pages import operation_page
from virt.firewall import PREFIX


def _label(nic: dict) -> str:
    return f"{nic['mac']} on {nic.get('source') or nic.get('type')} (now: {nic.get('filter') or 'unfiltered'})"


class NicFirewallForm(forms.Form):
    mac = forms.ChoiceField(label="Network interface")
    base = forms.ChoiceField(label="Filter on", required=False)
    ip = forms.GenericIPAddressField(
        label="Its IP address", required=False, help_text="Passed to the filter as IP; empty: libvirt learns it."
    )

    def __init__(self, *args, instance, **kwargs):
        super().__init__(*args, **kwargs)
        nics = (instance.details or {}).get("interfaces", [])
        self.fields["mac"].choices = [(nic["mac"], _label(nic)) for nic in nics]
        names = [f["name"] for f in (instance.host.inventory or {}).get("nwfilters", [])]
        self.fields["base"].choices = [("", "No filter: take it off")] + [
            (name, name) for name in names if not name.startswith(PREFIX)
        ]

    def clean(self):
        data = super().clean()
        if data.get("ip") and not data.get("base"):
            self.add_error("ip", "An IP address is only used with a filter.")
        return data

    def params(self) -> dict:
        data = self.cleaned_data
        return {"mac": data["mac"], "base": data["base"], "ip": data["ip"] or ""}


@require_http_methods(["GET", "POST"])
@login_required
def nic_firewall(request, pk: int):
    instance = get_instance_for_user(request, pk, "change")
    form = NicFirewallForm(posted(request), instance=instance)
    return operation_page(request, instance, form=form, kind="instance.nic_firewall",
                          title=f"Firewall of a network interface of {instance}", submit="Apply",
                          text="The interface gets the instance's own filter lvc-instance-<uuid>, built on the chosen "
                          "filter of the host, in the running guest and in its definition.")  # fmt: skip
