"""The host form: checks what can be checked without a connection; the job tests the rest."""

import ipaddress
import re
import unicodedata

from django import forms

from hosts.credentials import CredentialKind, encrypt
from hosts.models import Host
from jobs.services import start_operation
from virt.errors import InvalidURI
from virt.uri import check_user_params, transport_of, validate_uri

_HOST_NAME = re.compile(r"[A-Za-z0-9.-]+")  # what virt.policy (libvirt's listen address) accepts besides IPs


class SecretTextarea(forms.Textarea):
    """A textarea that never sends its value back to the page, even when the form is refused."""

    def format_value(self, value):
        return None


class HostForm(forms.ModelForm):
    secret = forms.CharField(
        label="Password or SSH private key",
        required=False,
        strip=False,
        widget=SecretTextarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
        help_text="Stored encrypted and never shown again. When editing, leave empty to keep the current one.",
    )

    class Meta:
        model = Host
        fields = ["name", "uri", "console_address", "migration_address", "resume_guests", "credential_kind", "username"]
        help_texts = {"uri": "e.g. qemu:///system, qemu+ssh://root@host/system, qemu+tls://host/system, lxc:///"}

    def queue_save(self, user):
        """Queue host.save: the worker tests the connection and saves only if it works (call after
        is_valid()). The operation; NoWorker when nobody would run it."""
        host = self.instance if self.instance.pk else None
        fields = {name: self.cleaned_data[name] for name in HostForm.Meta.fields}
        secret = self.cleaned_data["secret"]
        params = {"host_id": host.pk if host else None, "fields": fields, "secret": encrypt(secret) if secret else None}
        return start_operation(kind="host.save", target=host, target_type="host", target_name=fields["name"],
                               user=user, params=params)  # fmt: skip

    def full_clean(self):
        super().full_clean()
        if self._errors and self.data.get("secret") and "secret" not in self._errors:
            self.add_error("secret", "Type it again: a secret is never sent back to the page.")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if any(unicodedata.category(ch) == "Cc" for ch in name):  # C0, DEL and C1
            raise forms.ValidationError("A name cannot contain control characters.")
        return name

    def clean_uri(self):
        """A URI libvirt can use, with only the query parameters a user may give (a stored URI left
        unchanged when editing is kept: it was not typed here)."""
        try:
            uri = validate_uri(self.cleaned_data["uri"])
            if not (self.instance.pk and uri == self.instance.uri):
                check_user_params(uri)
            return uri
        except InvalidURI as error:
            raise forms.ValidationError(str(error)) from None
        except ValueError as error:  # urlsplit: unbalanced [ ] or characters NFKC would change in the host part
            raise forms.ValidationError(f"This is not a URI libvirt can use: {error}.") from None

    def clean_console_address(self):
        return _address(self.cleaned_data["console_address"])

    def clean_migration_address(self):
        return _address(self.cleaned_data["migration_address"])

    def clean(self):
        data = super().clean()
        kind, secret, uri = data.get("credential_kind"), data.get("secret", ""), data.get("uri")
        if kind and kind != CredentialKind.NONE and not secret:
            unchanged = self.instance.pk and self.instance.credential_kind == kind and self.instance.secret
            if not unchanged:
                self.add_error("secret", "Enter the password or the private key.")
        if kind == CredentialKind.SSH_KEY:
            if uri and transport_of(uri) != "ssh":
                self.add_error("credential_kind", "An SSH key works only with an ssh URI (qemu+ssh://...).")
            if secret and "PRIVATE KEY" not in secret:
                self.add_error("secret", "This is not a private key (it has no PRIVATE KEY block).")
        if kind == CredentialKind.PASSWORD and not data.get("username"):
            self.add_error("username", "Enter the user name that goes with the password.")
        return data


def _address(value: str) -> str:
    """A host name or an IP address (stripped), or ""; ValidationError otherwise."""
    address = value.strip()
    if address and not _HOST_NAME.fullmatch(address):
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise forms.ValidationError("Enter a host name or an IP address.") from None
    return address
