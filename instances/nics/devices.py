"""The NIC operations as its page and the API offer them (see instances.device_operations)."""

from config.lookups import item_or_404
from instances.device_operations import DeviceOperation
from instances.nics.forms import AttachNicForm


def find_nic(instance, mac: str) -> dict:
    nics, message = (instance.details or {}).get("interfaces", []), f"No network interface {mac} on {instance}."
    return item_or_404(nics, lambda nic: nic.get("mac", "").lower() == mac.lower(), message)


NIC_OPERATIONS = {
    "attach-interface": DeviceOperation("instance.attach_interface",
                                        form=lambda data, instance, device: AttachNicForm(data, instance=instance)),
    "detach-interface": DeviceOperation("instance.detach_interface", find=find_nic, key="mac"),
    "link-up": DeviceOperation("instance.set_link", find=find_nic, key="mac", fixed={"up": True}),
    "link-down": DeviceOperation("instance.set_link", find=find_nic, key="mac", fixed={"up": False}),
}  # fmt: skip
