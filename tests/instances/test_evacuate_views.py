"""The evacuate page (on libvirt's test driver, from the facts the monitor keeps): only for a host
that is down, where each guest would go, nothing queued until the admin confirms the host is off."""

import pytest
from django.urls import reverse

from hosts.models import Host, HostStatus
from instances.models import Instance
from jobs.models import Operation

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead(hosts, instance):
    """alpha is down; its guest's definition is known (the inventory keeps it)."""
    Host.objects.filter(pk=hosts["alpha"].pk).update(status=HostStatus.DOWN, last_error="keepalive timed out")
    Instance.objects.filter(pk=instance.pk).update(details={**instance.details, "definition": "<domain/>"})
    Host.objects.filter(pk=hosts["gamma"].pk).update(resources={"memory_total_mib": 8192, "vcpus_total": 4})
    return hosts["alpha"]


def test_a_host_that_answers_has_no_evacuate_button_and_is_refused(client_for, operator, hosts, instance):
    client = client_for(operator)
    url = reverse("host-evacuate", args=[hosts["alpha"].pk])
    assert url not in client.get(reverse("host-detail", args=[hosts["alpha"].pk])).content.decode()
    response = client.post(url, {"really_off": "on"}, follow=True)
    assert "alpha answers: only the guests of a host that is down are evacuated." in response.content.decode()
    assert not Operation.objects.exists()


def test_nothing_is_queued_until_the_host_is_confirmed_off(client_for, operator, dead, instance, rq_worker):
    client = client_for(operator)
    url = reverse("host-evacuate", args=[dead.pk])
    assert url in client.get(reverse("host-detail", args=[dead.pk])).content.decode()
    text = " ".join(client.get(url).content.decode().split())
    assert "Make sure alpha is really off first." in text and "what was written to its disks is lost" in text
    assert "<td>web-1</td><td>Running</td> <td>gamma</td>" in text  # the scheduler: the most memory left

    response = client.post(url, {"from_image": "on"})
    assert response.status_code == 200 and not Operation.objects.exists()
    assert "Confirm that alpha is off: nothing is evacuated until you do." in response.content.decode()

    response = client.post(url, {"really_off": "on", "from_image": "on"})
    op = Operation.objects.get()
    assert response.url == reverse("operation-detail", args=[op.pk])
    assert (op.kind, op.target_id, op.params) == ("host.evacuate", str(dead.pk), {"from_image": True})
