"""Through the API alone, on the real TCG guest: create an instance, wait for its operation, see it
running, pause and unpause it, snapshot it, revert to and delete the snapshot, delete it — each
result checked with virsh."""

import subprocess

import pytest
from django.test import Client
from django.urls import reverse

from api.models import ApiToken
from instances.models import Instance
from tests.support.guest import NAME_PREFIX
from tests.support.instances import remove_instance

pytestmark = pytest.mark.qemu


def virsh(*args: str) -> str:
    return subprocess.run(["virsh", "-c", "qemu:///system", *args], capture_output=True, text=True).stdout.strip()


def test_an_instance_lives_its_life_through_the_api(qemu_conn, qemu_host, tiny_flavor, tiny_image, rq_worker,
                                                    admin_user):  # fmt: skip
    _token, secret = ApiToken.issue(user=admin_user, name="lifecycle")
    api, auth = Client(), {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    def post(url: str, body: dict) -> dict:
        response = api.post(url, body, "application/json", **auth)
        assert response.status_code == 202, response.content
        return response.json()

    def ended(op: dict) -> dict:
        while op["status"] in ("queued", "running"):
            op = api.get(op["url"] + "wait/?timeout=60", **auth).json()
        assert op["status"] == "succeeded", op["error"]
        return op

    name = f"{NAME_PREFIX}api"
    op = post(reverse("api-instance-list"), {"host": qemu_host.pk, "name": name, "flavor": tiny_flavor.pk,
                                             "image": tiny_image.pk})  # fmt: skip
    pk = int(op["target_id"])
    uuid = str(Instance.objects.get(pk=pk).uuid)
    try:
        ended(op)
        detail = api.get(reverse("api-instance-detail", args=[pk]), **auth).json()
        assert (detail["name"], detail["state"]) == (name, "running") and virsh("domstate", uuid) == "running"

        ended(post(reverse("api-instance-action", args=[pk, "pause"]), {}))
        assert virsh("domstate", uuid) == "paused"
        ended(post(reverse("api-instance-action", args=[pk, "unpause"]), {}))
        assert virsh("domstate", uuid) == "running"

        ended(post(reverse("api-snapshot-create", args=[pk]), {"name": "before-upgrade"}))
        assert virsh("snapshot-list", uuid, "--name") == "before-upgrade"
        refused = api.post(reverse("api-snapshot-create", args=[pk]), {"name": "before-upgrade"}, "application/json",
                           **auth)  # fmt: skip
        assert refused.status_code == 400
        assert refused.json()["error"]["fields"] == {"name": ["A snapshot named before-upgrade already exists on "
                                                              "this instance."]}  # fmt: skip
        ended(post(reverse("api-snapshot-revert", args=[pk, "before-upgrade"]), {}))
        assert virsh("domstate", uuid) == "running"  # a snapshot with memory comes back running
        deleted = api.delete(reverse("api-snapshot-delete", args=[pk, "before-upgrade"]), **auth)
        assert deleted.status_code == 202
        ended(deleted.json())
        assert virsh("snapshot-list", uuid, "--name") == ""

        ended(post(reverse("api-instance-action", args=[pk, "delete"]), {}))
        assert uuid not in virsh("list", "--all", "--uuid") and not Instance.objects.filter(pk=pk).exists()
    finally:
        remove_instance(qemu_conn, uuid, name)
