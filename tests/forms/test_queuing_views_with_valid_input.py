"""Valid input through every view that queues an operation: with no job worker running it is
refused for that reason only, never a 500, and nothing changes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.forms.support import (
    FILTER_XML,
    counts,
    form_errors,
    post_unchanged,
    ssh_key,
    with_real_ids,
)

pytestmark = pytest.mark.django_db


# --- Valid input through every queuing view: refused for want of a worker, never a 500 -------------


def valid_posts(world) -> dict:
    alpha, ids = world["alpha"], {"host": "alpha", "flavor": "flavor", "image": "image"}
    instance_form = {"name": "new-1", "networks": ["default"], "ssh_keys": ssh_key(), "file_path": "/etc/motd",
                     "file_content": "hi <&>\r\n", "admin_password": "pw'\"<>&"}  # fmt: skip
    network_form = {"name": "n1", "mode": "nat", "address": "10.0.5.1", "prefix": "24", "dhcp_start": "10.0.5.100",
                    "dhcp_end": "10.0.5.200", "start": "on"}  # fmt: skip
    return {
        "host-add": (reverse("host-add"), {"name": 'Lab <b>"ü"</b> &', "uri": "lxc:///", "credential_kind": "none"}),
        "host-edit": (
            reverse("host-edit", args=[alpha.pk]),
            {"name": "alpha", "uri": "test:///default", "credential_kind": "none"},
        ),  # fmt: skip
        "pool": (reverse("storage-pool-define", args=[alpha.pk]), {"name": "p1", "path": "/srv/p1/./x"}),
        "volume": (
            reverse("storage-volume-create", args=[alpha.pk, "default"]),
            {"name": "v1.qcow2", "size": "1024", "unit": "TiB", "format": "qcow2"},
        ),  # fmt: skip
        "resize": (
            reverse("storage-volume-resize", args=[alpha.pk, "default", "disk1.qcow2"]),
            {"size": "2", "unit": "GiB"},
        ),  # fmt: skip
        "upload": (
            reverse("storage-volume-upload", args=[alpha.pk, "default"]),
            {"name": "new.img", "file": SimpleUploadedFile("../x.img", b"abc")},
        ),  # fmt: skip
        "network": (reverse("network-create", args=[alpha.pk]), network_form),
        "nwfilter": (reverse("nwfilter-define", args=[alpha.pk]), {"xml": FILTER_XML[0]}),
        "autostart": (reverse("network-autostart", args=[alpha.pk, "default"]), {"autostart": "on"}),
        "instance": (reverse("instance-create"), with_real_ids(instance_form, world, ids)),
        "rescue": (reverse("instance-action", args=[world["instance"].pk, "rescue"]), {}),
        "rescue-chosen": (
            reverse("instance-action", args=[world["bare"].pk, "rescue"]),
            {"image": str(world["image"].pk)},
        ),  # fmt: skip
    }


@pytest.mark.parametrize(
    "name",
    ["host-add", "host-edit", "pool", "volume", "resize", "upload", "network", "nwfilter", "autostart", "instance",
     "rescue", "rescue-chosen"],
)  # fmt: skip
def test_valid_input_is_refused_only_for_want_of_a_worker_and_changes_nothing(admin_client, world, name):
    url, data = valid_posts(world)[name]
    response = post_unchanged(admin_client, url, data, follow=True)
    assert response.status_code == 200 and not form_errors(response)
    assert "No job worker is running" in " ".join(str(message) for message in response.context["messages"])


def test_a_valid_grant_adds_exactly_one_row(admin_client, world):
    before = counts()
    data = {"role": "viewer", "user": str(world["admin"].pk), "host": str(world["alpha"].pk)}
    response = admin_client.post(reverse("grant-list"), data)
    assert response.status_code == 302 and counts() == (*before[:3], before[3] + 1, *before[4:])
