"""Network pages on the real host: create, start, stop, autostart and delete run as operations."""

import pytest
from django.urls import reverse

from hosts.models import Host
from jobs.models import Operation, OperationStatus
from tests.networks.support import assert_valid_xml, net_list_row, random_subnet, unique_bridge, virsh
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.django_db(transaction=True)


def form(name: str, **overrides) -> dict:
    return {"name": name, "mode": "isolated", "bridge": "", **random_subnet(), **overrides}


def run(client, url: str, data: dict | None = None) -> Operation:
    """POST, follow to the operation, wait for it, and require that it succeeded."""
    response = client.post(url, data or {})
    op = Operation.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == reverse("operation-detail", args=[op.pk])
    op = wait_for_operation(op.pk)
    assert op.status == OperationStatus.SUCCEEDED, op.error
    return op


def url(name: str, host: Host, network: str | None = None) -> str:
    kwargs = {"host_pk": host.pk, **({"name": network} if network else {})}
    return reverse(name, kwargs=kwargs)


def test_an_isolated_network_is_created_started_switched_stopped_and_deleted(
    client_for, operator, qemu_host, network_names, rq_worker
):
    client, name, bridge = client_for(operator), network_names(), unique_bridge()
    data = form(name, bridge=bridge, start="on")

    op = run(client, url("network-create", qemu_host), data)
    assert op.result["url"] == url("network-list", qemu_host) and op.target_id == str(qemu_host.pk)
    assert net_list_row(name, all_=False) == [name, "active", "no", "yes"]
    page = client.get(url("network-list", qemu_host)).content.decode()
    assert f'id="networks" data-live-refresh="host-inventory:{qemu_host.pk}"' in page
    for text in [name, bridge, f"{data['address']}/24", f"{data['dhcp_start']} – {data['dhcp_end']}", "No DHCP leases"]:
        assert text in page

    run(client, url("network-autostart", qemu_host, name), {"autostart": "on"})
    assert net_list_row(name)[1:3] == ["active", "yes"]
    assert "Autostart off" in client.get(url("network-list", qemu_host)).content.decode()
    run(client, url("network-autostart", qemu_host, name), {"autostart": "off"})
    assert net_list_row(name)[1:3] == ["active", "no"]

    run(client, url("network-stop", qemu_host, name))
    assert net_list_row(name)[1] == "inactive" and net_list_row(name, all_=False) is None
    run(client, url("network-start", qemu_host, name))
    assert net_list_row(name)[1] == "active"

    confirm = client.get(url("network-delete", qemu_host, name)).content.decode()
    assert f"Delete network {name}?" in confirm and net_list_row(name)
    run(client, url("network-delete", qemu_host, name))
    assert net_list_row(name) is None
    assert name not in client.get(url("network-list", qemu_host)).content.decode()


@pytest.mark.parametrize(("mode", "forward"), [("nat", "nat"), ("bridged", "bridge")])
def test_a_network_defined_without_starting_stays_inactive_with_its_forward_mode(
    client_for, operator, qemu_host, network_names, rq_worker, tmp_path, mode, forward
):
    name = network_names()
    data = form(name, mode=mode, bridge=unique_bridge() if mode == "bridged" else "")
    if mode == "bridged":
        data.update(address="", dhcp_start="", dhcp_end="")

    run(client_for(operator), url("network-create", qemu_host), data)

    assert net_list_row(name) == [name, "inactive", "no", "yes"]
    xml = virsh("net-dumpxml", name)
    assert f"<forward mode='{forward}'" in xml
    assert_valid_xml(xml, "network", tmp_path)


def test_a_stop_that_libvirt_refuses_fails_with_its_reason(client_for, operator, qemu_host, network_names, rq_worker):
    name = network_names()
    run(client_for(operator), url("network-create", qemu_host), form(name))  # defined, not started
    client_for(operator).post(url("network-stop", qemu_host, name))
    op = wait_for_operation(Operation.objects.latest("pk").pk)
    assert op.status == OperationStatus.FAILED and f"Network {name}: Not possible" in op.error
    assert "is not active" in op.error


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "a'b"}, "name", "letters, digits"),
        ({"name": "<script>"}, "name", "letters, digits"),
        ({"name": "../etc"}, "name", "letters, digits"),
        ({"name": "réseau"}, "name", "letters, digits"),
        ({"name": ".hidden"}, "name", "not starting with '.'"),
        ({"name": "default"}, "name", "already exists"),
        ({"mode": "vepa"}, "mode", "valid choice"),
        ({"address": "10.252.1.300"}, "address", "not an IPv4 address"),
        ({"address": "192.168.122.7"}, "address", "overlaps network default"),
        ({"address": "10.252.1.1", "prefix": "31"}, "prefix", "less than or equal to 30"),
        ({"address": "", "dhcp_start": "", "dhcp_end": ""}, "address", "Enter the host's address"),
        ({"address": "10.252.1.1", "dhcp_start": "10.252.9.2", "dhcp_end": "10.252.1.9"}, "dhcp_start", "not a host"),
        ({"address": "10.252.1.1", "dhcp_start": "10.252.1.9", "dhcp_end": "10.252.1.2"}, "dhcp_start", "after it"),
        ({"address": "10.252.1.1", "dhcp_start": "10.252.1.1", "dhcp_end": "10.252.1.9"}, "dhcp_start", "gateway"),
        ({"dhcp_end": ""}, "dhcp_end", "both ends"),
        ({"bridge": "br 0;reboot"}, "bridge", "not a valid bridge name"),
        ({"bridge": "virbr0"}, "bridge", "already used by another network"),
        ({"mode": "bridged", "address": "", "dhcp_start": "", "dhcp_end": ""}, "bridge", "Enter the name of the host"),
        ({"mode": "bridged", "bridge": "br0"}, "address", "no address of its own"),
    ],
)
def test_bad_network_forms_are_refused_with_a_message_and_start_nothing(
    client_for, operator, qemu_host, overrides, field, message
):
    data = {**form("lvc-test-refused"), **overrides}
    response = client_for(operator).post(url("network-create", qemu_host), data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Operation.objects.exists()


def test_a_refused_form_shows_the_message_escaped(client_for, operator, qemu_host):
    response = client_for(operator).post(url("network-create", qemu_host), form("<b>x</b>"))
    page = response.content.decode()
    assert "&#x27;&lt;b&gt;x&lt;/b&gt;&#x27; is not a valid name" in page and "<b>x</b>" not in page
