"""Bad input, property-based (hypothesis), for the NIC firewall form: hostile MACs, filter names
and addresses either give readable errors or params naming the instance's NIC, a filter of the
host (or none) and a real IP address. Through the view: never a 500, nothing half-applied."""

import ipaddress

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from instances.firewall.forms import NicFirewallForm
from tests.forms.support import assert_refused_readably, examples, hostile_text, optional_fields, post_unchanged

pytestmark = pytest.mark.django_db
MAC = "52:54:00:12:34:56"


@pytest.fixture
def instance(world):
    instance = world["instance"]
    instance.details = {"interfaces": [{"mac": MAC, "type": "network", "source": "default", "filter": ""}]}
    instance.save()
    return instance


@examples(150)
@given(data=optional_fields(
    mac=st.one_of(st.sampled_from([MAC, MAC.upper(), "52:54:00:00:00:99", ""]), hostile_text),
    base=st.one_of(st.sampled_from(["clean-traffic", "", "lvc-instance-x", "no-such-filter"]), hostile_text),
    ip=st.one_of(st.sampled_from(["10.0.0.5", "::1", "10.0.0.300", "1.2.3", " 10.0.0.5 "]), hostile_text),
))  # fmt: skip
def test_nic_firewall(admin_client, instance, data):
    form = NicFirewallForm(data, instance=instance)
    if not form.is_valid():
        assert_refused_readably(form)
    else:
        params = form.params()
        assert params["mac"] == MAC and params["base"] in ("clean-traffic", "")
        if params["ip"]:
            assert params["base"] and ipaddress.ip_address(params["ip"])
    post_unchanged(admin_client, reverse("nic-firewall", args=[instance.pk]), data)
