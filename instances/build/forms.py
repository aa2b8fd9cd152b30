"""The form to create an instance: everything is checked here, before the spawn is queued."""

import base64
import binascii
import posixpath
import re

from django import forms

from accounts.scope import operated_hosts
from hosts.models import Host, HostStatus
from instances.models import Flavor, Image, Instance
from instances.services import create_instance
from virt.names import InvalidName, check_name

SSH_KEY_TYPES = frozenset({
    "ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
})  # fmt: skip
MAX_SSH_KEYS = 50
MAX_FILE_BYTES = 64 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_ssh_key(line: str) -> str:
    """`line` if it is an OpenSSH public key (`type base64 [comment]`) whose data names its type."""
    parts = line.split(None, 2)
    if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES or _CONTROL.search(line):
        raise forms.ValidationError("not an OpenSSH public key (ssh-ed25519, ssh-rsa or ecdsa-sha2-… AAAA… comment)")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise forms.ValidationError("its key data is not base64") from None
    length = int.from_bytes(blob[:4], "big")
    if len(blob) < 4 + length or blob[4 : 4 + length] != parts[0].encode():
        raise forms.ValidationError(f"its key data is not a {parts[0]} key")
    return line


def check_file_path(path: str) -> str:
    """An absolute, normalized guest path without '..' or control characters."""
    if _CONTROL.search(path) or not path.startswith("/") or path == "/" or posixpath.normpath(path) != path:
        raise forms.ValidationError("Enter an absolute path like /etc/motd (no '..', '//' or trailing '/').")
    if ".." in path.split("/"):
        raise forms.ValidationError("The path may not contain '..'.")
    return path


class InstanceCreateForm(forms.Form):
    host = forms.ModelChoiceField(
        queryset=Host.objects.none(), help_text="Only hosts that are up and not in maintenance are offered."
    )
    name = forms.CharField(max_length=100)
    flavor = forms.ModelChoiceField(queryset=Flavor.objects.all(), help_text="Its size: vCPUs, memory, root disk.")
    image = forms.ModelChoiceField(queryset=Image.objects.all(), help_text="What it boots: a disk image, or a kernel.")
    networks = forms.MultipleChoiceField(
        required=False, help_text="Virtual networks of the chosen host to attach a NIC to; none: no network."
    )
    admin_password = forms.CharField(
        label="Admin password", required=False, strip=False, max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Set for the default user through the config drive; never shown again.",
    )  # fmt: skip
    ssh_keys = forms.CharField(
        label="SSH public keys", required=False, max_length=64 * 1024,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}), help_text="One OpenSSH public key per line.",
    )  # fmt: skip
    file_path = forms.CharField(label="Inject a file: path", required=False, max_length=255)
    file_content = forms.CharField(
        label="File content", required=False, strip=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="At most 64 KiB of text; line ends become \\n.",
    )  # fmt: skip
    start = forms.BooleanField(label="Start after creating", required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        hosts = Host.objects.filter(status=HostStatus.UP, maintenance=False).only("pk", "name", "inventory")
        hosts = operated_hosts(user, hosts)
        self.fields["host"].queryset = hosts
        networks = (net for host in hosts for net in host.inventory.get("networks", []))
        names = sorted({net["name"] for net in networks if net.get("active")})  # inactive ones cannot take a NIC
        self.fields["networks"].choices = [(name, name) for name in names]

    def clean_name(self):
        try:
            return check_name(self.cleaned_data["name"])
        except InvalidName as error:
            raise forms.ValidationError(str(error)) from None

    def clean_ssh_keys(self):
        lines = [line.strip() for line in self.cleaned_data["ssh_keys"].splitlines() if line.strip()]
        if len(lines) > MAX_SSH_KEYS:
            raise forms.ValidationError(f"At most {MAX_SSH_KEYS} keys.")
        errors = []
        for number, line in enumerate(lines, 1):
            try:
                check_ssh_key(line)
            except forms.ValidationError as error:
                errors.append(f"Line {number}: {error.messages[0]}.")
        if errors:
            raise forms.ValidationError(errors)
        return tuple(lines)

    def clean_admin_password(self):
        password = self.cleaned_data["admin_password"]
        if _CONTROL.search(password):
            raise forms.ValidationError("The password may not contain control characters or line breaks.")
        return password

    def clean_file_path(self):
        path = self.cleaned_data["file_path"]
        return check_file_path(path) if path else ""

    def clean_file_content(self):
        content = self.cleaned_data["file_content"].replace("\r\n", "\n")
        if "\x00" in content:
            raise forms.ValidationError("The content must be text (it contains a NUL character).")
        if len(content.encode()) > MAX_FILE_BYTES:
            raise forms.ValidationError("The content is larger than 64 KiB.")
        return content

    def clean(self):
        data = super().clean()
        host, name = data.get("host"), data.get("name")
        if host and host.transport == "test":
            self.add_error("host", f"{host} is libvirt's test driver: it only simulates guests and cannot run one. "
                                   "Choose a host with a hypervisor.")  # fmt: skip
        if host and name and Instance.objects.filter(host=host, name=name).exists():
            self.add_error("name", f"An instance named {name} already exists on {host}.")
        if host:
            active = {net["name"] for net in host.inventory.get("networks", []) if net.get("active")}
            missing = [name for name in data.get("networks", []) if name not in active]
            if missing:
                self.add_error("networks", f"{host} has no active network {', '.join(missing)} (start it on the "
                                           "host's networks page, or choose another).")  # fmt: skip
        if data.get("file_content") and not data.get("file_path") and "file_path" not in self.errors:
            self.add_error("file_path", "Enter where the file goes in the guest.")
        return data

    def create(self, user):
        """Record the instance and queue its spawn (instances.services.create_instance); the operation."""
        data = self.cleaned_data
        return create_instance(host=data["host"], name=data["name"], flavor=data["flavor"], image=data["image"],
                               user=user, admin_password=data["admin_password"], ssh_keys=data["ssh_keys"],
                               files=self.injected_files(), networks=tuple(data["networks"]),
                               start=data["start"])  # fmt: skip

    def injected_files(self) -> tuple[tuple[str, str], ...]:
        data = self.cleaned_data
        return ((data["file_path"], data["file_content"]),) if data["file_path"] else ()
