"""The form of a NIC's firewall: which NIC, the host filter to build on (none: take it off), its IP."""

from django import forms

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
