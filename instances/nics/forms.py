"""The form to attach a NIC: on a network of the host (as last read) or a bridge."""

from django import forms

from instances.models import Instance
from virt.errors import VirtError
from virt.networks import check_bridge
from virt.nics import MODELS


class AttachNicForm(forms.Form):
    network = forms.ChoiceField(required=False, help_text="A running libvirt network of the host.")
    bridge = forms.CharField(required=False, max_length=15, strip=True,
                             help_text="Or a bridge on the host (e.g. br0), instead of a network.")  # fmt: skip
    model = forms.ChoiceField(choices=[(model, model) for model in MODELS], initial="virtio")

    def __init__(self, *args, instance: Instance, **kwargs):
        super().__init__(*args, **kwargs)
        networks = [n["name"] for n in (instance.host.inventory or {}).get("networks", []) if n.get("active")]
        self.fields["network"].choices = [("", "—")] + [(name, name) for name in networks]

    def clean_bridge(self):
        bridge = self.cleaned_data["bridge"]
        if bridge:
            try:
                check_bridge(bridge)
            except VirtError as error:
                raise forms.ValidationError(str(error)) from None
        return bridge

    def clean(self):
        data = super().clean()
        if "network" in data and "bridge" in data and bool(data["network"]) == bool(data["bridge"]):
            raise forms.ValidationError("Choose either a network or a bridge.")
        return data

    def params(self) -> dict:
        data = self.cleaned_data
        kind, source = ("network", data["network"]) if data["network"] else ("bridge", data["bridge"])
        return {"type": kind, "source": source, "model": data["model"]}
