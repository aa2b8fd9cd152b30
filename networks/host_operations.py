"""The network and filter operations as their pages and the API offer them (see
hosts.resource_operations)."""

from config.lookups import item_or_404
from hosts.resource_operations import HostOperation
from networks.forms import AutostartForm, FilterForm, NetworkForm


def networks(host) -> list[dict]:
    return (host.inventory or {}).get("networks", [])


def filters(host) -> list[dict]:
    return (host.inventory or {}).get("nwfilters", [])


def _finder(listed, what: str):
    def find(host, name: str) -> dict:
        message = f"No {what} named {name} on this host (as last read)."
        return {"item": item_or_404(listed(host), lambda item: item["name"] == name, message)}

    return find


find_network, find_filter = _finder(networks, "network"), _finder(filters, "network filter")


def _name(found: dict, _form=None) -> dict:
    return {"name": found["item"]["name"]}


NETWORK_OPERATIONS = {
    "network-create": HostOperation("network.create", params=lambda found, form: form.params(),
                                    form=lambda data, host, found: NetworkForm(data, networks=networks(host))),
    "network-start": HostOperation("network.start", params=_name, find=find_network),
    "network-stop": HostOperation("network.stop", params=_name, find=find_network),
    "network-autostart": HostOperation("network.autostart", find=find_network,
                                       form=lambda data, host, found: AutostartForm(data),
                                       params=lambda found, form: {**_name(found), **form.cleaned_data}),
    "network-delete": HostOperation("network.delete", params=_name, find=find_network),
    "filter-define": HostOperation("nwfilter.define",
                                   form=lambda data, host, found: FilterForm(data, filters=filters(host)),
                                   params=lambda found, form: {key: form.cleaned_data[key] for key in ("name", "xml")}),
    "filter-undefine": HostOperation("nwfilter.undefine", params=_name, find=find_filter),
}  # fmt: skip
