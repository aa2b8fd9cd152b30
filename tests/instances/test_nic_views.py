"""The network interface pages: the attach form offers the host's running networks or a bridge,
bad input is a message that queues nothing; detach and link queue their operation."""

import uuid

import pytest
from django.urls import reverse

from hosts.models import Host
from instances.models import Instance, InstanceState
from jobs.models import Operation

pytestmark = pytest.mark.django_db
MAC = "52:54:00:aa:bb:cc"


@pytest.fixture
def instance(db):
    networks = [{"name": "default", "active": True}, {"name": "stopped", "active": False}]
    host = Host.objects.create(name="alpha", uri="test:///default", status="up", inventory={"networks": networks})
    nics = [{"mac": MAC, "type": "network", "source": "default", "model": "virtio", "link": "up"}]
    return Instance.objects.create(host=host, uuid=uuid.uuid4(), name="web-1", state=InstanceState.RUNNING,
                                   details={"interfaces": nics})  # fmt: skip


def test_attach_offers_running_networks(client_for, operator, instance):
    page = client_for(operator).get(reverse("interface-attach", args=[instance.pk])).content.decode()
    assert 'value="default"' in page and 'value="stopped"' not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"network": "", "bridge": "", "model": "virtio"}, "Choose either a network or a bridge."),
        ({"network": "default", "bridge": "br0", "model": "virtio"}, "Choose either a network or a bridge."),
        ({"bridge": "br0<script>", "model": "virtio"}, "Use 1 to 15 letters"),
        ({"network": "stopped", "model": "virtio"}, "Select a valid choice"),
        ({"network": "default", "model": "ne2k'"}, "Select a valid choice"),
    ],
)
def test_attach_refuses_bad_input(client_for, operator, instance, rq_worker, data, message):
    response = client_for(operator).post(reverse("interface-attach", args=[instance.pk]), data)
    assert response.status_code == 200 and message in response.content.decode().replace("&#x27;", "'")
    assert not Operation.objects.exists()


def test_attach_on_a_bridge_queues_it(client_for, operator, instance, rq_worker):
    client_for(operator).post(reverse("interface-attach", args=[instance.pk]), {"bridge": "br0", "model": "e1000"})
    assert Operation.objects.get().params == {"type": "bridge", "source": "br0", "model": "e1000"}


def test_link_and_detach_queue_for_a_known_mac(client_for, operator, instance, rq_worker):
    client = client_for(operator)
    client.post(reverse("interface-link", args=[instance.pk, MAC.upper(), "down"]))
    assert Operation.objects.get().params == {"mac": MAC, "up": False}
    Operation.objects.all().delete()
    client.post(reverse("interface-detach", args=[instance.pk, MAC]))
    assert Operation.objects.get().params == {"mac": MAC}


def test_unknown_mac_or_state_is_404(client_for, operator, instance):
    client = client_for(operator)
    assert client.get(reverse("interface-detach", args=[instance.pk, "52:54:00:00:00:99"])).status_code == 404
    assert client.post(reverse("interface-link", args=[instance.pk, MAC, "sideways"])).status_code == 404
