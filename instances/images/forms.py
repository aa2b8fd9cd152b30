"""Adding an image from the console's pages: an upload from the admin's browser, or an import
the worker downloads from a URL (the admin's network, not the console's business to check)."""

from urllib.parse import urlsplit

from django import forms

from instances.models import DiskFormat, Image

QCOW2_MAGIC = b"QFI\xfb"
HELP = {
    "disk": "A bootable disk image (qcow2 or raw): each instance's root disk is an overlay on it.",
    "kernel": "Or a Linux kernel to boot directly (bzImage or vmlinux), with its initrd and command line.",
    "cmdline": "For a kernel: e.g. console=tty0 console=ttyS0 (the serial console needs ttyS0).",
}


def check_image_choice(data: dict, add_error, *, disk: str = "disk", kernel: str = "kernel", initrd: str = "initrd"):
    """Something to boot (a disk or a kernel); an initrd and a command line only with a kernel."""
    if not data.get(disk) and not data.get(kernel):
        add_error(disk, "Give a disk image, or a kernel to boot directly.")
    if data.get(initrd) and not data.get(kernel):
        add_error(initrd, "An initrd needs a kernel.")
    if data.get("cmdline") and not data.get(kernel):
        add_error("cmdline", "A command line needs a kernel.")


class ImageUploadForm(forms.ModelForm):
    class Meta:
        model = Image
        fields = ["name", "disk", "disk_format", "kernel", "initrd", "cmdline"]
        help_texts = HELP

    def clean(self):
        data = super().clean()
        check_image_choice(data, self.add_error)
        disk = data.get("disk")
        if disk and data.get("disk_format") == DiskFormat.QCOW2:
            head = disk.read(4)
            disk.seek(0)
            if head != QCOW2_MAGIC:
                self.add_error("disk", "This file is not a qcow2 image: choose raw, or another file.")
        return data


def http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise forms.ValidationError("Enter an http:// or https:// address.")
    return value


def url_field(label: str, **options) -> forms.URLField:
    return forms.URLField(label=label, required=False, max_length=2000, assume_scheme="https", validators=[http_url],
                          **options)  # fmt: skip


class ImageImportForm(forms.Form):
    name = forms.CharField(max_length=100)
    disk_url = url_field("Disk image URL", help_text=HELP["disk"])
    disk_format = forms.ChoiceField(choices=DiskFormat.choices, initial=DiskFormat.QCOW2)
    kernel_url = url_field("Kernel URL", help_text=HELP["kernel"])
    initrd_url = url_field("Initrd URL")
    cmdline = forms.CharField(label="Kernel command line", required=False, max_length=500, help_text=HELP["cmdline"])

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Image.objects.filter(name=name).exists():
            raise forms.ValidationError(f"An image named {name} already exists.")
        return name

    def clean(self):
        data = super().clean()
        check_image_choice(data, self.add_error, disk="disk_url", kernel="kernel_url", initrd="initrd_url")
        return data

    def params(self) -> dict:
        data = self.cleaned_data
        urls = {role: data[f"{role}_url"] for role in ("disk", "kernel", "initrd") if data[f"{role}_url"]}
        return {"name": data["name"], "urls": urls, "disk_format": data["disk_format"], "cmdline": data["cmdline"]}
