"""The disk pages: forms offer the host's free volumes, bad input is a message that queues
nothing, a good one queues the operation (run by the real worker in test_disks.py)."""

import uuid

import pytest
from django.urls import reverse

from hosts.models import Host
from instances.models import Instance, InstanceState
from jobs.models import Operation

pytestmark = pytest.mark.django_db

VOLUMES = [{"name": n, "path": f"/p/{n}", "format": "qcow2", "capacity": 1, "allocation": 0} for n in ("a", "b", "c")]
DISKS = [{"target": "vda", "device": "disk", "bus": "virtio", "source": "/p/a"},
         {"target": "hdc", "device": "cdrom", "bus": "ide", "source": ""}]  # fmt: skip


@pytest.fixture
def host(db):
    pools = [{"name": "data", "active": True, "volumes": VOLUMES}, {"name": "off", "active": False, "volumes": []}]
    return Host.objects.create(name="alpha", uri="test:///default", status="up", inventory={"pools": pools})


@pytest.fixture
def instance(host):
    return Instance.objects.create(host=host, uuid=uuid.uuid4(), name="web-1", state=InstanceState.RUNNING,
                                   details={"disks": DISKS})  # fmt: skip


def test_attach_offers_only_free_volumes_of_running_pools(client_for, operator, instance, host):
    Instance.objects.create(host=host, uuid=uuid.uuid4(), name="other", details={"disks": [{"source": "/p/b"}]})
    page = client_for(operator).get(reverse("disk-attach", args=[instance.pk])).content.decode()
    assert 'value="data/c"' in page
    assert 'value="data/a"' not in page and 'value="data/b"' not in page  # in use by this and another instance


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"volume": "data/c", "bus": "virtio", "target": "vda"}, "target", "vda is already in use on this instance."),
        ({"volume": "data/c", "bus": "virtio", "target": "sdb"}, "target", "is not a name for a virtio disk"),
        ({"volume": "data/c", "bus": "virtio", "target": "<vd'x>"}, "target", "is not a name for a virtio disk"),
        ({"volume": "data/a", "bus": "virtio"}, "volume", "Select a valid choice"),
        ({"volume": "data/c", "bus": "floppy"}, "bus", "Select a valid choice"),
        ({}, "volume", "This field is required"),
    ],
)
def test_attach_refuses_bad_input_with_a_message(client_for, operator, instance, rq_worker, data, field, message):
    response = client_for(operator).post(reverse("disk-attach", args=[instance.pk]), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Operation.objects.exists()


def test_attach_queues_the_operation(client_for, operator, instance, rq_worker):
    response = client_for(operator).post(reverse("disk-attach", args=[instance.pk]),
                                         {"volume": "data/c", "bus": "virtio", "target": ""})  # fmt: skip
    op = Operation.objects.get()
    assert response.url == reverse("operation-detail", args=[op.pk])
    assert (op.kind, op.params, op.user) == (
        "instance.attach_volume",
        {"pool": "data", "volume": "c", "bus": "virtio", "target": ""},
        operator,
    )


def test_grow_refuses_a_smaller_size(client_for, operator, instance, rq_worker):
    response = client_for(operator).post(reverse("disk-grow", args=[instance.pk, "vda"]), {"size": "0", "unit": "GiB"})
    assert "Ensure this value is greater than or equal to" in " ".join(response.context["form"].errors["size"])
    response = client_for(operator).post(reverse("disk-grow", args=[instance.pk, "vda"]), {"size": "2", "unit": "GiB"})
    assert Operation.objects.get().params == {"capacity": 2 * 1024**3, "target": "vda"}


def test_media_without_a_volume_ejects(client_for, operator, instance, rq_worker):
    client_for(operator).post(reverse("disk-media", args=[instance.pk, "hdc"]), {"volume": ""})
    assert Operation.objects.get().params == {"target": "hdc"}


def test_a_disk_that_is_not_there_is_404(client_for, operator, instance):
    client = client_for(operator)
    assert client.get(reverse("disk-detach", args=[instance.pk, "vdz"])).status_code == 404
    assert client.get(reverse("disk-media", args=[instance.pk, "vda"])).status_code == 404  # not a CD-ROM
    assert client.get(reverse("disk-grow", args=[instance.pk, "hdc"])).status_code == 404  # not a disk


def test_detach_without_a_worker_says_so_and_queues_nothing(client_for, operator, instance):
    response = client_for(operator).post(reverse("disk-detach", args=[instance.pk, "vda"]), follow=True)
    assert "No job worker is running" in response.content.decode()
    assert not Operation.objects.exists()


def test_detach_while_another_operation_is_pending_is_busy(client_for, operator, instance, rq_worker):
    client = client_for(operator)
    client.post(reverse("disk-detach", args=[instance.pk, "vda"]))
    response = client.post(reverse("disk-detach", args=[instance.pk, "vda"]), follow=True)
    assert "Busy: Detach volume is" in response.content.decode()
    assert Operation.objects.count() == 1
