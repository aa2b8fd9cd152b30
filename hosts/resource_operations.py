"""The operations on a host's storage and networks, each declared once by its feature and offered
by both its page and the API: the operation kind, what it concerns (a pool, a volume, a network, a
filter: found in the host's inventory, else a 404), the form that takes its choices, the params
queued, and the refusal the page already knows of (a volume some guest still needs)."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms

from hosts.models import Host


def _nothing(host: Host) -> dict:
    return {}


@dataclass(frozen=True)
class HostOperation:
    kind: str
    params: Callable[[dict, forms.Form | None], dict]  # (what was found, the valid form) -> the operation's params
    find: Callable[..., dict] = _nothing  # (host, **names) -> what it concerns, or Http404
    form: Callable[[object, Host, dict], forms.Form] | None = None  # (data, host, found) -> its form
    refusal: Callable[[Host, dict], str] | None = None  # (host, found) -> why it would be refused, "" if not

    def form_for(self, data, host: Host, found: dict) -> forms.Form | None:
        return self.form(data, host, found) if self.form else None

    def refused(self, host: Host, found: dict) -> str:
        return self.refusal(host, found) if self.refusal else ""


class DeleteDirForm(forms.Form):
    delete_dir = forms.BooleanField(required=False, label="Also remove the directory and what is in it")
