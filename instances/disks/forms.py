"""Forms of the disk operations. Pool volumes are offered from the host's inventory (running
pools), leaving out those some instance on the host already uses."""

from django import forms

from instances.models import Instance
from storage.forms import SizeMixin, size_fields
from virt.disks import BUSES, DiskError, pick_target


def _in_use(instance: Instance) -> set[str]:
    """Paths of every disk of every instance on the instance's host."""
    rows = Instance.objects.filter(host_id=instance.host_id).values_list("details", flat=True)
    return {disk.get("source") for details in rows for disk in (details or {}).get("disks", []) if disk.get("source")}


def volume_choices(instance: Instance) -> list[tuple[str, str]]:
    """("pool/volume", label) for the free volumes of the host's running pools."""
    used = _in_use(instance)
    choices = []
    for pool in (instance.host.inventory or {}).get("pools", []):
        if not pool.get("active"):
            continue
        for volume in pool.get("volumes", []):
            if volume.get("path") not in used:
                label = f"{pool['name']} / {volume['name']} ({volume.get('format') or 'raw'})"
                choices.append((f"{pool['name']}/{volume['name']}", label))
    return choices


class PoolVolumeForm(forms.Form):
    """A free volume of the host's running pools (the volume a disk is swapped onto)."""

    volume = forms.ChoiceField(help_text="Free volumes of the host's running storage pools (as last read).")

    def __init__(self, *args, instance: Instance, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["volume"].choices = [("", "—")] + volume_choices(instance)

    def volume_params(self) -> dict:
        pool, _, volume = self.cleaned_data["volume"].partition("/")
        return {"pool": pool, "volume": volume}

    def params(self) -> dict:
        return self.volume_params()


class AttachDiskForm(PoolVolumeForm):
    bus = forms.ChoiceField(choices=[(bus, bus) for bus in BUSES if bus != "xen"], initial="virtio")
    target = forms.CharField(required=False, max_length=16, strip=True,
                             help_text="Device name, e.g. vdc; empty: the next free one on the bus.")  # fmt: skip

    def clean(self):
        data = super().clean()
        if "bus" in data and "target" in data:
            used = {disk.get("target") for disk in (self.instance.details or {}).get("disks", [])}
            try:
                data["target"] = pick_target(used, data["bus"], data["target"]) if data["target"] else ""
            except DiskError as error:
                self.add_error("target", str(error))
        return data

    def params(self) -> dict:
        return {**self.volume_params(), "bus": self.cleaned_data["bus"], "target": self.cleaned_data["target"]}


class MediaForm(PoolVolumeForm):
    """A volume to insert; none ejects."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volume"].required = False
        self.fields["volume"].choices = [("", "— none: eject —")] + self.fields["volume"].choices[1:]
        self.fields["volume"].help_text = "An ISO (or raw) volume to insert, or none to eject the medium."

    def params(self) -> dict:
        return self.volume_params() if self.cleaned_data["volume"] else {}


class GrowDiskForm(SizeMixin, forms.Form):
    size, unit = size_fields()

    def __init__(self, *args, current: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current

    def clean(self):
        data = super().clean()
        capacity = self._bytes(data)
        if capacity is not None and self.current is not None and capacity <= self.current:
            self.add_error("size", f"A disk can only grow: it has {self.current} bytes now.")
        data["capacity"] = capacity
        return data

    def params(self) -> dict:
        return {"capacity": self.cleaned_data["capacity"]}
