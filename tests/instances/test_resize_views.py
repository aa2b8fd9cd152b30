"""The resize page and the Confirm/Revert buttons (on libvirt's test driver, from the facts the
monitor keeps): what it refuses at once and queues nothing, what it queues, and which buttons a
waiting resize shows."""

import pytest
from django.urls import reverse

from instances.actions import actions_for
from instances.models import Flavor, Instance
from jobs.models import Operation

pytestmark = pytest.mark.django_db


@pytest.fixture
def flavors(db):
    small = Flavor.objects.create(name="small", vcpus=1, memory_mib=512, disk_gib=10)
    return {"small": small, "large": Flavor.objects.create(name="large", vcpus=4, memory_mib=8192, disk_gib=20),
            "thin": Flavor.objects.create(name="thin", vcpus=1, memory_mib=512, disk_gib=5)}  # fmt: skip


@pytest.fixture
def sized(instance, flavors):
    Instance.objects.filter(pk=instance.pk).update(flavor=flavors["small"])
    return Instance.objects.get(pk=instance.pk)


def page(client, row, data=None):
    url = reverse("instance-resize", args=[row.pk])
    response = client.post(url, data) if data is not None else client.get(url)
    return response, response.content.decode().replace("&#x27;", "'")


def test_refusals_are_shown_at_once_and_nothing_is_queued(client_for, operator, hosts, sized, flavors):
    client = client_for(operator)
    _response, text = page(client, sized)
    assert "Resize or cold-migrate web-1" in text and f'value="{hosts["beta"].pk}"' in text
    same = {"flavor": flavors["small"].pk, "destination": hosts["alpha"].pk, "bandwidth_mib": 0}
    assert "Nothing would change: choose another flavor or another host." in page(client, sized, same)[1]
    thin = {"flavor": flavors["thin"].pk, "destination": hosts["alpha"].pk, "bandwidth_mib": 0}
    assert "Its root disk (5 GiB) is smaller than the instance's (10 GiB): a disk never shrinks." in page(
        client, sized, thin)[1]  # fmt: skip
    large = {"flavor": flavors["large"].pk, "destination": hosts["beta"].pk, "bandwidth_mib": 0}  # beta: 4096 MiB
    assert "beta has not enough memory: the guest needs 8192 MiB" in page(client, sized, large)[1]
    Instance.objects.filter(pk=sized.pk).update(pending_resize={"source": hosts["alpha"].pk})
    bigger = {"flavor": flavors["large"].pk, "destination": hosts["alpha"].pk, "bandwidth_mib": 0}
    assert "web-1 waits for Confirm or Revert of its last resize." in page(client, sized, bigger)[1]
    assert not Operation.objects.exists()


def test_a_passing_resize_is_queued_with_its_flavor_and_host(client_for, operator, hosts, sized, flavors,
                                                             rq_worker):  # fmt: skip
    wanted = {"flavor": flavors["small"].pk, "destination": hosts["beta"].pk, "bandwidth_mib": 20}
    response, _text = page(client_for(operator), sized, wanted)
    op = Operation.objects.get()
    assert response.status_code == 302 and response.url == reverse("operation-detail", args=[op.pk])
    assert (op.kind, op.params) == ("instance.resize", wanted)


def test_a_waiting_resize_offers_confirm_and_revert_and_little_else(client_for, operator, admin_user, hosts,
                                                                     sized):  # fmt: skip
    names = {action.name for action in actions_for(sized)}
    assert "delete" in names and "confirm-resize" not in names
    Instance.objects.filter(pk=sized.pk).update(pending_resize={"source": hosts["alpha"].pk})
    waiting = Instance.objects.get(pk=sized.pk)
    names = {action.name for action in actions_for(waiting)}
    assert {"confirm-resize", "revert-resize", "stop", "reboot"} <= names
    assert not names & {"delete", "rescue", "suspend"}
    text = client_for(operator).get(reverse("instance-detail", args=[sized.pk])).content.decode()
    assert "Verify resize" in text and reverse("instance-resize", args=[sized.pk]) not in text
    response = client_for(admin_user).post(reverse("instance-action", args=[sized.pk, "delete"]), follow=True)
    assert "Delete is not possible while web-1 is" in response.content.decode() and not Operation.objects.exists()


def test_grow_is_offered_while_running_and_queues_the_new_size(client_for, operator, sized, rq_worker):
    client, url = client_for(operator), reverse("instance-grow", args=[sized.pk])
    assert url in client.get(reverse("instance-detail", args=[sized.pk])).content.decode()
    text = client.post(url, {"vcpus": 1, "memory_mib": 512}).content.decode()
    assert "Nothing would grow: ask for more vCPUs or more memory." in text and not Operation.objects.exists()
    client.post(url, {"vcpus": 2, "memory_mib": 1024})
    op = Operation.objects.get()
    assert (op.kind, op.params) == ("instance.grow", {"vcpus": 2, "memory_mib": 1024})
