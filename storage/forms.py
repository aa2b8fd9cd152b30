"""Storage forms: names and paths are checked here, with the same rules virt/ enforces."""

from decimal import Decimal

from django import forms

from virt.errors import VirtError
from virt.storage import FORMATS, check_name, check_pool_path

UNITS = {"MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}
MAX_BYTES = 1024**5  # 1 PiB: the fields alone allow ~10^21 bytes, beyond libvirt's 64-bit sizes


def clean_name(value: str, taken=(), what: str = "pool") -> str:
    """A new object's name, as a form field error when it is unsafe or already used."""
    try:
        name = check_name(value)
    except VirtError as error:
        raise forms.ValidationError(str(error)) from None
    if name in taken:
        raise forms.ValidationError(f"A {what} named {name} already exists here.")
    return name


class SizeMixin:
    """A size in MiB/GiB/TiB, turned into bytes as cleaned_data['bytes'] (None, with an error, when too big)."""

    def _bytes(self, data: dict) -> int | None:
        size, unit = data.get("size"), data.get("unit")
        if size is None or unit not in UNITS:
            return None
        if int(size * UNITS[unit]) > MAX_BYTES:
            self.add_error("size", f"A volume can be at most {MAX_BYTES // UNITS['TiB']} TiB.")
            return None
        return int(size * UNITS[unit])


def size_fields():
    return (
        forms.DecimalField(min_value=Decimal("0.001"), max_digits=12, decimal_places=3),  # a float 0.001 is > 0.001
        forms.ChoiceField(choices=[(unit, unit) for unit in UNITS], initial="GiB"),
    )


class PoolForm(forms.Form):
    name = forms.CharField(strip=False, help_text="Letters, digits, '-', '_', '.'.")
    path = forms.CharField(max_length=4096, strip=False, help_text="Absolute directory on the host.")
    build = forms.BooleanField(required=False, initial=True, label="Create the directory")
    start = forms.BooleanField(required=False, initial=True, label="Start now")
    autostart = forms.BooleanField(required=False, initial=True, label="Start with the host")

    def __init__(self, *args, taken=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.taken = set(taken)

    def clean_name(self):
        return clean_name(self.cleaned_data["name"], self.taken, "pool")

    def clean_path(self):
        try:
            return check_pool_path(self.cleaned_data["path"])
        except VirtError as error:
            raise forms.ValidationError(str(error)) from None


class VolumeForm(SizeMixin, forms.Form):
    name = forms.CharField(strip=False, help_text="e.g. disk1.qcow2")
    size, unit = size_fields()
    format = forms.ChoiceField(choices=[(fmt, fmt) for fmt in FORMATS], initial="qcow2")

    def __init__(self, *args, taken=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.taken = set(taken)

    def clean_name(self):
        return clean_name(self.cleaned_data["name"], self.taken, "volume")

    def clean(self):
        data = super().clean()
        data["bytes"] = self._bytes(data)
        return data


class ResizeForm(SizeMixin, forms.Form):
    size, unit = size_fields()

    def __init__(self, *args, current: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current

    def clean(self):
        data = super().clean()
        data["bytes"] = self._bytes(data)
        if data["bytes"] is not None and data["bytes"] <= self.current:
            self.add_error("size", f"A volume can only grow: it has {self.current} bytes now.")
        return data


class UploadForm(forms.Form):
    file = forms.FileField()
    volume = forms.ChoiceField(required=False, label="Into the existing volume")
    name = forms.CharField(
        required=False, strip=False, label="Or a new volume named", help_text="Created raw, file size."
    )

    def __init__(self, *args, volumes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.volumes = {volume["name"]: volume for volume in volumes}
        self.fields["volume"].choices = [("", "— a new volume —")] + [(name, name) for name in self.volumes]

    def clean_name(self):
        name = self.cleaned_data["name"]
        return clean_name(name, self.volumes, "volume") if name else ""

    def clean(self):
        data = super().clean()
        volume, name, upload = data.get("volume"), data.get("name"), data.get("file")
        if volume and name:
            self.add_error("name", "Choose an existing volume or a new name, not both.")
        elif not volume and not name and "name" not in self.errors:
            self.add_error("name", "Enter a name for the new volume, or choose an existing one.")
        elif volume and upload and upload.size > self.volumes[volume]["capacity"]:
            self.add_error("file", f"The file is larger than {volume} ({self.volumes[volume]['capacity']} bytes).")
        return data
