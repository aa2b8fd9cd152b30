"""Forms of the snapshot operations. Names become libvirt snapshot names and file names, so they
follow the console's name rule; duplicates are refused here from the inventory (and again by the
job, from libvirt)."""

from django import forms

from instances.models import Image, Instance
from virt.names import InvalidName, check_name


def _checked_name(value: str) -> str:
    try:
        return check_name(value)
    except InvalidName as error:
        raise forms.ValidationError(str(error)) from None


def _no_control_characters(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\t\n\r" or ord(ch) == 127 for ch in value):
        raise forms.ValidationError("The description cannot contain control characters.")
    return value


class SnapshotForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True, help_text="Letters, digits, '-', '_' or '.'.")
    description = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, instance: Instance, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance

    def clean_name(self):
        name = _checked_name(self.cleaned_data["name"])
        if any(snap.get("name") == name for snap in (self.instance.details or {}).get("snapshots", [])):
            raise forms.ValidationError(f"A snapshot named {name} already exists on this instance.")
        return name

    def clean_description(self):
        return _no_control_characters(self.cleaned_data["description"])

    def params(self) -> dict:
        return {"name": self.cleaned_data["name"], "description": self.cleaned_data["description"]}


class DiskSnapshotForm(forms.Form):
    name = forms.CharField(max_length=60, strip=True, help_text="Names the overlay file too.")

    def clean_name(self):
        return _checked_name(self.cleaned_data["name"])

    def params(self) -> dict:
        return {"name": self.cleaned_data["name"]}


class DeleteSnapshotForm(forms.Form):
    children = forms.BooleanField(required=False, label="Delete its child snapshots too")

    def params(self) -> dict:
        return {"children": self.cleaned_data["children"]}


class ImageForm(forms.Form):
    name = forms.CharField(
        max_length=100, strip=True, help_text="The new image's name (letters, digits, '-', '_', '.')."
    )
    target = forms.ChoiceField(label="Disk")

    def __init__(self, *args, instance: Instance, **kwargs):
        super().__init__(*args, **kwargs)
        disks = [d for d in (instance.details or {}).get("disks", []) if d.get("device", "disk") == "disk"]
        self.fields["target"].choices = [(d["target"], f"{d['target']} ({d.get('source') or '—'})") for d in disks]

    def clean_name(self):
        name = _checked_name(self.cleaned_data["name"])
        if Image.objects.filter(name=name).exists():
            raise forms.ValidationError(f"An image named {name} already exists.")
        return name

    def params(self) -> dict:
        return {"name": self.cleaned_data["name"], "target": self.cleaned_data["target"]}
