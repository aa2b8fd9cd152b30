"""Network and filter forms: every check reuses the Django-free rules of virt/."""

import ipaddress

from django import forms
from lxml import etree

from virt.errors import VirtError
from virt.networks import MODES, check_bridge, check_dhcp_range, check_name, check_subnet
from virt.nwfilters import parse_filter_xml

MODE_LABELS = {
    "nat": "NAT: guests reach outside through the host's address",
    "isolated": "Isolated: guests and host only, no forwarding",
    "bridged": "Bridged: onto an existing host bridge (the LAN gives the addresses)",
}
MODE_CHOICES = [(mode, MODE_LABELS[mode]) for mode in MODES]


def _checked(check, *args):
    """Run a virt/ check, turning its refusal into a form error with the same message."""
    try:
        return check(*args)
    except VirtError as error:
        raise forms.ValidationError(str(error)) from None


class NetworkForm(forms.Form):
    name = forms.CharField(max_length=100, strip=False, help_text="Letters, digits, '-', '_', '.'.")
    mode = forms.ChoiceField(choices=MODE_CHOICES, initial="nat", widget=forms.RadioSelect)
    bridge = forms.CharField(
        max_length=15, required=False, strip=False,
        help_text="Bridged: the host's existing bridge (e.g. br0). NAT/isolated: empty lets libvirt pick one.",
    )  # fmt: skip
    address = forms.CharField(
        max_length=15, required=False, label="Host address", help_text="NAT/isolated: e.g. 10.0.5.1"
    )
    prefix = forms.IntegerField(min_value=8, max_value=30, initial=24, required=False, label="Prefix length")
    dhcp_start = forms.CharField(max_length=15, required=False, label="DHCP range start", help_text="Optional")
    dhcp_end = forms.CharField(max_length=15, required=False, label="DHCP range end")
    start = forms.BooleanField(required=False, initial=True, label="Start now")
    autostart = forms.BooleanField(required=False, label="Start with the host")

    def __init__(self, *args, networks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.networks = list(networks)

    def clean_name(self):
        name = _checked(check_name, self.cleaned_data["name"])
        if any(network["name"] == name for network in self.networks):
            raise forms.ValidationError(f"A network named {name} already exists here.")
        return name

    def clean_bridge(self):
        bridge = self.cleaned_data["bridge"]
        return _checked(check_bridge, bridge) if bridge else ""

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        if mode == "bridged":
            self._clean_bridged(data)
        elif mode in ("nat", "isolated"):
            self._clean_routed(data)
        return data

    def _clean_bridged(self, data):
        if "bridge" in data and not data["bridge"]:
            self.add_error("bridge", "Enter the name of the host bridge to attach to.")
        for field in ("address", "dhcp_start", "dhcp_end"):
            if data.get(field):
                self.add_error(field, "A bridged network has no address of its own: leave this empty.")
        data.update(address="", prefix=None, dhcp_start="", dhcp_end="")

    def _clean_routed(self, data):
        bridge = data.get("bridge")
        if bridge and any(network["bridge"] == bridge for network in self.networks):
            self.add_error("bridge", f"Bridge {bridge} is already used by another network here.")
        if not data.get("address"):
            self.add_error("address", "Enter the host's address on the new network, e.g. 10.0.5.1.")
            return
        if data.get("prefix") is None:
            if "prefix" not in self.errors:
                self.add_error("prefix", "Enter the prefix length, e.g. 24.")
            return
        try:
            interface = check_subnet(data["address"], data["prefix"])
        except VirtError as error:
            self.add_error("address", str(error))
            return
        data["address"] = str(interface.ip)
        self._check_overlap(interface.network)
        start, end = data.get("dhcp_start", ""), data.get("dhcp_end", "")
        if bool(start) != bool(end):
            self.add_error("dhcp_end" if start else "dhcp_start", "Enter both ends of the DHCP range, or neither.")
        elif start:
            try:
                data["dhcp_start"], data["dhcp_end"] = check_dhcp_range(interface, start, end)
            except VirtError as error:
                self.add_error("dhcp_start", str(error))

    def _check_overlap(self, subnet):
        for network in self.networks:
            for ip in network.get("ips", []):
                try:
                    other = ipaddress.IPv4Interface(f"{ip['address']}/{ip['prefix'] or ip['netmask']}").network
                except ValueError:
                    continue  # IPv6 or unreadable: libvirt checks when starting
                if other.overlaps(subnet):
                    self.add_error("address", f"{subnet} overlaps network {network['name']} ({other}).")
                    return

    def params(self) -> dict:
        fields = ("name", "mode", "bridge", "address", "prefix", "dhcp_start", "dhcp_end", "start", "autostart")
        return {field: self.cleaned_data[field] for field in fields}


class AutostartForm(forms.Form):
    autostart = forms.TypedChoiceField(choices=[("on", "on"), ("off", "off")], coerce=lambda value: value == "on")


class FilterForm(forms.Form):
    xml = forms.CharField(
        label="Filter XML", strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "mono"}),
        help_text="A <filter name='...'> element as libvirt documents it; libvirt checks the rules.",
    )  # fmt: skip

    def __init__(self, *args, filters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters = {nwfilter["name"]: nwfilter for nwfilter in filters}

    def clean_xml(self):
        name, uuid, xml = _checked(parse_filter_xml, self.cleaned_data["xml"])
        try:  # without its DOCTYPE, XML that used the DOCTYPE's entities is no longer well-formed
            etree.fromstring(xml.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            raise forms.ValidationError("Entities declared in a DOCTYPE are not allowed: write the text out.") from None
        existing = self.filters.get(name)
        if existing and uuid != existing["uuid"]:
            raise forms.ValidationError(
                f"A filter named {name} already exists here. To change it, keep its <uuid>{existing['uuid']}</uuid>."
            )
        self.cleaned_data["name"] = name
        return xml
