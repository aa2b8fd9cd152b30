"""The guest agent's pages and buttons: the set-password form (queues an operation with the
password encrypted, or refuses with a message and queues nothing) and quiesce/unquiesce actions."""

import json
import uuid

import pytest
from django.urls import reverse

from hosts.credentials import decrypt
from hosts.models import Host
from instances.models import Instance, InstanceState
from jobs.models import Operation

pytestmark = pytest.mark.django_db
GOOD = {"user": "root", "password": "pa:ss word", "password_again": "pa:ss word"}


@pytest.fixture
def running(db):
    host = Host.objects.create(name="alpha", uri="test:///default", status="up")
    return Instance.objects.create(host=host, uuid=uuid.uuid4(), name="web-1", state=InstanceState.RUNNING)


def url(instance) -> str:
    return reverse("instance-set-password", args=[instance.pk])


def test_the_form_asks_for_a_user_root_by_default_and_the_password_twice(client_for, operator, running):
    response = client_for(operator).get(url(running))
    page = response.content.decode()
    assert response.status_code == 200 and 'value="root"' in page
    assert page.count('type="password"') == 2 and "csrfmiddlewaretoken" in page


def test_a_valid_post_queues_set_password_with_the_password_encrypted(client_for, operator, running, rq_worker):
    response = client_for(operator).post(url(running), GOOD)

    op = Operation.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("operation-detail", args=[op.pk])
    assert (op.kind, op.user, op.target_id, op.params["user"]) == ("instance.set_password", operator,
                                                                   str(running.pk), "root")  # fmt: skip
    assert "pa:ss word" not in json.dumps(op.params) and decrypt(op.params["password"]) == "pa:ss word"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**GOOD, "password_again": "other"}, "The two passwords differ: type the same password twice."),
        ({**GOOD, "password": "", "password_again": ""}, "Enter the new password."),
        ({**GOOD, "password_again": ""}, "Enter the new password a second time."),
        ({**GOOD, "user": "root:0"}, "A user name is letters, digits"),
        ({**GOOD, "user": ""}, "This field is required."),
        ({**GOOD, "password": "a\nb", "password_again": "a\nb"}, "The password cannot contain line breaks."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_queues_nothing(client_for, operator, running, rq_worker, data,
                                                                message):  # fmt: skip
    response = client_for(operator).post(url(running), data)
    page = response.content.decode()
    assert response.status_code == 200 and message.replace("'", "&#x27;") in page
    assert not Operation.objects.exists()
    assert "pa:ss word" not in page  # a password is never sent back


def test_a_guest_that_is_not_running_is_refused_with_a_message(client_for, operator, running, rq_worker):
    Instance.objects.filter(pk=running.pk).update(state=InstanceState.SHUTOFF)
    response = client_for(operator).post(url(running), GOOD)
    assert "The guest agent answers only while the guest runs: web-1 is shut off." in response.content.decode()
    assert not Operation.objects.exists()


def test_no_worker_is_refused_with_a_message(client_for, operator, running):
    response = client_for(operator).post(url(running), GOOD)
    assert response.status_code == 200 and "No job worker is running" in response.content.decode()
    assert not Operation.objects.exists()


def test_a_viewer_gets_403_and_nothing_is_queued(client_for, viewer, running, rq_worker):
    client = client_for(viewer)
    assert client.get(url(running)).status_code == 403
    assert client.post(url(running), GOOD).status_code == 403
    assert not Operation.objects.exists()


def test_wrong_method_and_missing_instance(client_for, operator, running):
    client = client_for(operator)
    assert client.put(url(running)).status_code == 405
    assert client.get(reverse("instance-set-password", args=[running.pk + 1000])).status_code == 404


def test_the_instance_page_links_the_form_and_offers_quiesce_to_who_may_change(client_for, operator, viewer, running):
    page = client_for(operator).get(reverse("instance-detail", args=[running.pk])).content.decode()
    assert url(running) in page and "Freeze filesystems…" in page
    assert reverse("instance-action", args=[running.pk, "unquiesce"]) in page
    page = client_for(viewer).get(reverse("instance-detail", args=[running.pk])).content.decode()
    assert url(running) not in page and "Freeze filesystems" not in page


def test_quiesce_asks_first_and_unquiesce_queues_at_once(client_for, operator, running, rq_worker):
    client = client_for(operator)
    quiesce = reverse("instance-action", args=[running.pk, "quiesce"])
    assert "writes in the guest wait" in client.get(quiesce).content.decode()
    assert not Operation.objects.exists()
    client.post(quiesce)
    Operation.objects.update(status="succeeded")
    client.post(reverse("instance-action", args=[running.pk, "unquiesce"]))
    assert [op.kind for op in Operation.objects.order_by("pk")] == ["instance.quiesce", "instance.unquiesce"]
