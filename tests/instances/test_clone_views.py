"""The clone page (on libvirt's test driver): offered for a shut-off instance only, a taken or bad
name refused at once, a valid clone queued with its name and host."""

import pytest
from django.urls import reverse

from instances.models import Instance, InstanceState
from jobs.models import Operation

pytestmark = pytest.mark.django_db


def test_a_clone_is_offered_when_shut_off_refused_when_its_name_is_taken_and_queued(
    client_for,
    operator,
    hosts,
    instance,
    rq_worker,
):
    client = client_for(operator)
    detail = reverse("instance-detail", args=[instance.pk])
    url = reverse("instance-clone", args=[instance.pk])
    assert url not in client.get(detail).content.decode()  # running
    Instance.objects.filter(pk=instance.pk).update(state=InstanceState.SHUTOFF)
    assert url in client.get(detail).content.decode()
    text = client.post(url, {"name": "web-1", "destination": hosts["alpha"].pk}).content.decode()
    assert "An instance named web-1 already exists on alpha." in text
    text = client.post(url, {"name": "../x", "destination": hosts["alpha"].pk}).content.decode()
    assert "is not a valid name" in text.replace("&#x27;", "'") and not Operation.objects.exists()
    response = client.post(url, {"name": "web-2", "destination": hosts["beta"].pk})
    op = Operation.objects.get()
    assert response.url == reverse("operation-detail", args=[op.pk])
    assert (op.kind, op.params) == ("instance.clone", {"name": "web-2", "destination": hosts["beta"].pk})
