"""Device operations, the actions with pages of their own and the host page's guest-moving
operations, through the API: the same operation and params the pages queue, the same refusals (the
device not there, the form's messages, a host that answers cannot be evacuated)."""

import pytest
from django.urls import reverse

from api.models import ApiToken
from hosts.credentials import decrypt
from hosts.models import Host, HostStatus
from jobs.models import Operation
from tests.support.api import call

pytestmark = pytest.mark.django_db


def post(client, secret: str, url: str, body: dict):
    return call(client, "post", url, secret, body)


def test_a_nic_operation_queues_what_the_page_queues_and_an_unknown_nic_is_a_404(client, operator, instance,
                                                                                  rq_worker):  # fmt: skip
    _token, secret = ApiToken.issue(user=operator, name="ansible")
    url = reverse("api-instance-device", args=[instance.pk, "link-down"])
    answer = post(client, secret, url, {"device": "52:54:00:00:00:01"})
    assert answer.status_code == 202, answer.content
    op = Operation.objects.get(pk=answer.json()["id"])
    assert (op.kind, op.params) == ("instance.set_link", {"mac": "52:54:00:00:00:01", "up": False})

    missing = post(client, secret, reverse("api-instance-device", args=[instance.pk, "detach-interface"]),
                   {"device": "52:54:00:00:00:99"})  # fmt: skip
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == f"No network interface 52:54:00:00:00:99 on {instance}."

    empty = post(client, secret, reverse("api-instance-device", args=[instance.pk, "attach-interface"]), {})
    assert empty.status_code == 400
    assert empty.json()["error"]["fields"]["__all__"] == ["Choose either a network or a bridge."]
    assert Operation.objects.count() == 1  # the refusals queued nothing


def test_an_action_with_a_page_of_its_own_takes_its_pages_form(client, operator, instance, hosts, rq_worker):
    _token, secret = ApiToken.issue(user=operator, name="ansible")
    url = reverse("api-instance-action", args=[instance.pk, "grow"])
    refused = post(client, secret, url, {"params": {"vcpus": 1, "memory_mib": 256}})
    assert refused.status_code == 400  # the grow page's own refusal
    assert refused.json()["error"]["message"] == "Nothing would grow: ask for more vCPUs or more memory."
    assert Operation.objects.count() == 0

    moved = post(
        client,
        secret,
        reverse("api-instance-action", args=[instance.pk, "migrate"]),
        {"params": {"destination": hosts["beta"].pk}},
    )  # the tunables the page shows at first
    assert moved.status_code == 202, moved.content
    op = Operation.objects.get(pk=moved.json()["id"])
    assert (op.kind, op.params) == ("instance.live_migrate", {"destination": hosts["beta"].pk, "max_downtime_ms": 300,
                                    "bandwidth_mib": 0, "auto_converge": True, "post_copy": False,
                                    "completion_timeout": 600})  # fmt: skip


def test_a_hosts_guests_are_moved_through_the_api_as_on_its_page(client, admin_user, hosts, rq_worker):
    _token, secret = ApiToken.issue(user=admin_user, name="ops")
    action = lambda host, name: reverse("api-host-action", args=[hosts[host].pk, name])  # noqa: E731
    up = post(client, secret, action("alpha", "evacuate"), {"params": {"really_off": True}})
    assert up.status_code == 409
    assert up.json()["error"]["message"] == "alpha answers: only the guests of a host that is down are evacuated."

    Host.objects.filter(pk=hosts["beta"].pk).update(status=HostStatus.DOWN)
    unconfirmed = post(client, secret, action("beta", "evacuate"), {})
    assert unconfirmed.status_code == 400
    assert unconfirmed.json()["error"]["fields"] == {"really_off": ["Confirm that beta is off: nothing is evacuated "
                                                                    "until you do."]}  # fmt: skip
    assert not Operation.objects.exists()
    evacuated = post(client, secret, action("beta", "evacuate"), {"params": {"really_off": True}})
    assert evacuated.status_code == 202
    assert Operation.objects.get(pk=evacuated.json()["id"]).params == {"from_image": False}

    drained = post(client, secret, action("alpha", "maintenance-start"), {})
    assert drained.status_code == 202 and drained.json()["kind"] == "host.maintenance"


def test_a_guest_password_set_through_the_api_travels_encrypted(client, operator, instance, rq_worker):
    _token, secret = ApiToken.issue(user=operator, name="ansible")
    url = reverse("api-instance-action", args=[instance.pk, "set-password"])
    differ = post(client, secret, url, {"params": {"password": "s3cret-1", "password_again": "s3cret-2"}})
    assert differ.status_code == 400 and "The two passwords differ" in differ.json()["error"]["message"]
    answer = post(client, secret, url, {"params": {"password": "s3cret-1", "password_again": "s3cret-1"}})
    assert answer.status_code == 202
    op = Operation.objects.get(pk=answer.json()["id"])
    assert op.params["user"] == "root" and decrypt(op.params["password"]) == "s3cret-1"  # the page's first user
    assert "s3cret-1" not in str(op.params) and "s3cret-1" not in answer.content.decode()
