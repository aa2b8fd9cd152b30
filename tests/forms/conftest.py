"""The world the form property tests run in: two hosts, a flavor, an image, instances."""

import uuid

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from hosts.models import Host, HostStatus
from instances.models import Flavor, Image, Instance, InstanceState
from tests.forms.support import (
    INVENTORY,
)


@pytest.fixture
def world(admin_user):
    """Two registered hosts (one up, one down), a flavor, an image and an instance. Alpha has a
    hypervisor (create refuses libvirt's test driver); nothing listens at its socket."""
    alpha = Host.objects.create(name="alpha", uri="qemu+unix:///system?socket=/nonexistent/lvc-test.sock",
                                status=HostStatus.UP, inventory=INVENTORY)  # fmt: skip
    beta = Host.objects.create(name="beta", uri="test:///default?beta", status=HostStatus.DOWN, inventory=INVENTORY)
    flavor = Flavor.objects.create(name="small", vcpus=1, memory_mib=256)
    image = Image.objects.create(name="debian")
    instance = Instance.objects.create(host=alpha, uuid=uuid.uuid4(), name="web-1", state=InstanceState.RUNNING,
                                       flavor=flavor, image=image)  # fmt: skip
    bare = Instance.objects.create(host=alpha, uuid=uuid.uuid4(), name="bare", state=InstanceState.SHUTOFF)
    group = Group.objects.create(name="ops")
    return {"admin": admin_user, "alpha": alpha, "beta": beta, "flavor": flavor, "image": image,
            "instance": instance, "bare": bare, "group": group}  # fmt: skip


@pytest.fixture
def admin_client(world):
    client = Client()
    client.force_login(world["admin"])
    return client
