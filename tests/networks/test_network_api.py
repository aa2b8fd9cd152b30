"""Networks and filters through the API on the real host: the pages' forms and operations, checked
with virsh."""

import pytest
from django.urls import reverse

from api.models import ApiToken
from tests.networks.support import net_list_row, random_subnet, unique_bridge
from tests.networks.test_nwfilter_views import filter_xml, filters_on_host
from tests.support.api import call, ran

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_isolated_network_and_a_filter_live_their_life_through_the_api(
    client, operator, qemu_host, network_names, filter_names, rq_worker
):
    _token, secret = ApiToken.issue(user=operator, name="ansible")
    action = lambda name: reverse("api-host-action", args=[qemu_host.pk, name])  # noqa: E731
    name, bridge = network_names(), unique_bridge()
    params = {"name": name, "mode": "isolated", "bridge": bridge, "start": True, **random_subnet()}
    ran(client, action("network-create"), secret, {"params": params})
    assert net_list_row(name, all_=False) == [name, "active", "no", "yes"]
    ran(client, action("network-autostart"), secret, {"name": name, "params": {"autostart": "on"}})
    assert net_list_row(name)[1:3] == ["active", "yes"]
    ran(client, action("network-stop"), secret, {"name": name})
    assert net_list_row(name)[1] == "inactive"
    listed = call(client, "get", reverse("api-host-networks", args=[qemu_host.pk]), secret).json()["networks"]
    assert [(net["name"], net["active"]) for net in listed if net["name"] == name] == [(name, False)]
    ran(client, action("network-delete"), secret, {"name": name})
    assert net_list_row(name) is None

    rule = filter_names()
    ran(client, action("filter-define"), secret, {"params": {"xml": filter_xml(rule)}})
    assert rule in filters_on_host()
    ran(client, action("filter-undefine"), secret, {"name": rule})
    assert rule not in filters_on_host()
    gone = call(client, "post", action("filter-undefine"), secret, {"name": rule})
    assert gone.status_code == 404 and "No network filter named" in gone.json()["error"]["message"]
