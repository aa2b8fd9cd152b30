"""The operations on an instance's devices, each declared once by its feature (disks, NICs) and
offered by both its page and the API: the operation kind, the device it concerns (found by disk
target or NIC MAC, else a 404) and the form that takes its choices."""

from collections.abc import Callable
from dataclasses import dataclass, field

from instances.models import Instance


@dataclass(frozen=True)
class DeviceOperation:
    kind: str
    find: Callable[[Instance, str], dict] | None = None  # (instance, target or MAC) -> the device; None: adds one
    form: Callable | None = None  # (data, instance, device) -> a form with params(); None: nothing to choose
    key: str = ""  # the device's field that names it in the operation's params ("target", "mac")
    fixed: dict = field(default_factory=dict)

    def device(self, instance: Instance, name: str) -> dict | None:
        return self.find(instance, name) if self.find else None

    def form_for(self, data, instance: Instance, device: dict | None):
        return self.form(data, instance, device) if self.form else None

    def params(self, device: dict | None, form=None) -> dict:
        """The operation's params: the form's, then the device's name and the fixed ones."""
        named = {self.key: device[self.key]} if device is not None and self.key else {}
        return {**(form.params() if form is not None else {}), **named, **self.fixed}
