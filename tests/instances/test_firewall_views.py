"""The NIC firewall page: it offers the instance's NICs and the host's filters (not instance
filters), refuses bad input without queuing, and queues the operation (run for real in
test_firewall.py)."""

import uuid

import pytest
from django.urls import reverse

from hosts.models import Host
from instances.models import Instance, InstanceState
from jobs.models import Operation

pytestmark = pytest.mark.django_db
MAC = "52:54:00:aa:bb:cc"
FILTERS = [{"name": "clean-traffic"}, {"name": "no-mac-spoofing"}, {"name": "lvc-instance-0000"}]


@pytest.fixture
def instance(db):
    host = Host.objects.create(name="alpha", uri="test:///default", status="up", inventory={"nwfilters": FILTERS})
    nics = [{"mac": MAC, "type": "network", "source": "default", "model": "virtio", "filter": ""}]
    return Instance.objects.create(host=host, uuid=uuid.uuid4(), name="web-1", state=InstanceState.RUNNING,
                                   details={"interfaces": nics})  # fmt: skip


def url(instance) -> str:
    return reverse("nic-firewall", args=[instance.pk])


def test_the_form_offers_the_nics_and_the_hosts_filters(client_for, operator, instance):
    page = client_for(operator).get(url(instance)).content.decode()
    assert f'value="{MAC}"' in page and "(now: unfiltered)" in page
    assert 'value="clean-traffic"' in page and 'value="no-mac-spoofing"' in page
    assert "lvc-instance-0000" not in page


def test_a_filter_with_an_ip_address_is_queued(client_for, operator, instance, rq_worker):
    response = client_for(operator).post(url(instance), {"mac": MAC, "base": "clean-traffic", "ip": "10.0.0.5"})
    op = Operation.objects.get()
    assert response.status_code == 302 and response.url == reverse("operation-detail", args=[op.pk])
    assert (op.kind, op.params) == ("instance.nic_firewall", {"mac": MAC, "base": "clean-traffic", "ip": "10.0.0.5"})


def test_taking_the_filter_off_is_queued(client_for, operator, instance, rq_worker):
    client_for(operator).post(url(instance), {"mac": MAC, "base": ""})
    assert Operation.objects.get().params == {"mac": MAC, "base": "", "ip": ""}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mac": "52:54:00:00:00:99", "base": "clean-traffic"}, "Select a valid choice"),
        ({"mac": MAC, "base": "lvc-instance-0000"}, "Select a valid choice"),
        ({"mac": MAC, "base": "clean-traffic", "ip": "10.0.0.300"}, "Enter a valid IPv4 or IPv6 address."),
        ({"mac": MAC, "base": "", "ip": "10.0.0.5"}, "An IP address is only used with a filter."),
    ],
)
def test_bad_input_is_shown_and_nothing_queued(client_for, operator, instance, rq_worker, data, message):
    response = client_for(operator).post(url(instance), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Operation.objects.exists()


def test_wrong_method_missing_permission_and_missing_instance(client_for, operator, viewer, instance):
    assert client_for(operator).put(url(instance)).status_code == 405
    assert client_for(viewer).get(url(instance)).status_code == 403
    assert client_for(operator).get(reverse("nic-firewall", args=[instance.pk + 1000])).status_code == 404
