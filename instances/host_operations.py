"""The operations of a host's page that move its guests — maintenance (drain, reopen) and the
evacuation of a host that is down — as the host page and the API offer them (see
hosts.resource_operations)."""

from hosts.models import HostStatus
from hosts.resource_operations import HostOperation
from instances.evacuation.forms import EvacuateForm


def _evacuation_refusal(host, found: dict) -> str:
    if host.status == HostStatus.UP:
        return f"{host} answers: only the guests of a host that is down are evacuated."
    return ""


GUEST_MOVING_OPERATIONS = {
    "maintenance-start": HostOperation("host.maintenance", params=lambda found, form: {}),
    "maintenance-end": HostOperation("host.end_maintenance", params=lambda found, form: {}),
    "probe-kvm": HostOperation("host.probe_kvm", params=lambda found, form: {}),
    "evacuate": HostOperation("host.evacuate", refusal=_evacuation_refusal,
                              form=lambda data, host, found: EvacuateForm(data, host=host),
                              params=lambda found, form: {"from_image": form.cleaned_data["from_image"]}),
}  # fmt: skip
