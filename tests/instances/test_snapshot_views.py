"""The snapshot pages: the tree on the instance page, forms that refuse bad input with a message
and queue nothing, confirmations before revert/delete/commit, and who may use them (the jobs
themselves run on the real guest in test_snapshots.py)."""

import uuid

import pytest
from django.urls import reverse

from hosts.models import Host
from instances.models import Image, Instance, InstanceState
from instances.templatetags.snapshot_tree import snapshot_tree
from jobs.models import Operation

pytestmark = pytest.mark.django_db

DISKS = [{"target": "vda", "device": "disk", "bus": "virtio", "source": "/p/a-snap-x.qcow2"},
         {"target": "hdc", "device": "cdrom", "bus": "ide", "source": "/p/config.iso"}]  # fmt: skip
SNAPSHOTS = [
    {"name": "base", "parent": "", "created": 1700000000, "state": "running", "description": "first <b>",
     "memory": True, "current": False},
    {"name": "after.upgrade", "parent": "base", "created": 1700000100, "state": "shutoff", "description": "",
     "memory": False, "current": True},
]  # fmt: skip
OVERLAYS = [{"target": "vda", "name": "x", "overlay": "/p/a-snap-x.qcow2", "base": "/p/a.qcow2"}]


@pytest.fixture
def instance(db):
    host = Host.objects.create(name="alpha", uri="test:///default", status="up")
    details = {"disks": DISKS, "snapshots": SNAPSHOTS, "disk_snapshots": OVERLAYS}
    return Instance.objects.create(host=host, uuid=uuid.uuid4(), name="web-1", state=InstanceState.RUNNING,
                                   details=details)  # fmt: skip


def test_the_instance_page_shows_the_tree_with_the_current_one_marked(client_for, operator, instance):
    page = client_for(operator).get(reverse("instance-detail", args=[instance.pk])).content.decode()
    tree = page[page.index('<div id="snapshots">') :]
    assert tree.index("<strong>base</strong>") < tree.index("<ul>", tree.index("base")) < tree.index("after.upgrade")
    assert 'aria-current="true">\n    <strong>after.upgrade</strong>' in tree
    assert "first &lt;b&gt;" in tree and "2023-11-14 22:13:20" in tree
    assert reverse("snapshot-revert", args=[instance.pk, "base"]) in tree
    assert reverse("disk-commit", args=[instance.pk, "vda"]) in tree
    assert reverse("disk-snapshot", args=[instance.pk, "vda"]) in tree
    assert reverse("disk-snapshot", args=[instance.pk, "hdc"]) not in tree  # a CD-ROM has no overlays


def test_a_viewer_sees_the_tree_without_links_and_is_refused(client_for, viewer, instance):
    client = client_for(viewer)
    page = client.get(reverse("instance-detail", args=[instance.pk])).content.decode()
    assert "<strong>base</strong>" in page and reverse("snapshot-create", args=[instance.pk]) not in page
    assert client.get(reverse("snapshot-create", args=[instance.pk])).status_code == 403
    assert client.post(reverse("snapshot-create", args=[instance.pk]), {"name": "s"}).status_code == 403
    assert client.post(reverse("snapshot-revert", args=[instance.pk, "base"])).status_code == 403
    assert not Operation.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "../etc/passwd"}, "name", "is not a valid name. Use 1 to 100 letters"),
        ({"name": "a b"}, "name", "is not a valid name"),
        ({"name": "<script>x</script>"}, "name", "is not a valid name"),
        ({"name": ".hidden"}, "name", "is not a valid name"),
        ({"name": "x" * 101}, "name", "at most 100 characters"),
        ({"name": ""}, "name", "This field is required"),
        ({"name": "base"}, "name", "A snapshot named base already exists on this instance."),
        ({"name": "ok", "description": "bell\x07"}, "description", "cannot contain control characters"),
    ],
)
def test_create_refuses_bad_input_with_a_message(client_for, operator, instance, rq_worker, data, field, message):
    response = client_for(operator).post(reverse("snapshot-create", args=[instance.pk]), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Operation.objects.exists()


def test_create_queues_the_operation(client_for, operator, instance, rq_worker):
    data = {"name": "before-2", "description": "line 1\nline <2>"}
    response = client_for(operator).post(reverse("snapshot-create", args=[instance.pk]), data)
    op = Operation.objects.get()
    assert response.url == reverse("operation-detail", args=[op.pk])
    assert (op.kind, op.params, op.user) == ("instance.snapshot_create", data, operator)


def test_revert_asks_first_then_queues(client_for, operator, instance, rq_worker):
    client = client_for(operator)
    page = client.get(reverse("snapshot-revert", args=[instance.pk, "base"])).content.decode()
    assert "Revert web-1 to base?" in page and "the running guest&#x27;s memory" in page
    assert "Snapshot base, taken 2023-11-14 22:13:20 UTC (running, with memory): first &lt;b&gt;." in page
    assert "csrfmiddlewaretoken" in page
    assert not Operation.objects.exists()
    client.post(reverse("snapshot-revert", args=[instance.pk, "base"]))
    assert Operation.objects.get().params == {"name": "base"}


def test_delete_offers_the_children_of_a_parent(client_for, operator, instance, rq_worker):
    client = client_for(operator)
    assert 'name="children"' in client.get(reverse("snapshot-delete", args=[instance.pk, "base"])).content.decode()
    leaf = client.get(reverse("snapshot-delete", args=[instance.pk, "after.upgrade"])).content.decode()
    assert 'name="children"' not in leaf
    client.post(reverse("snapshot-delete", args=[instance.pk, "base"]), {"children": "on"})
    op = Operation.objects.get()
    assert (op.kind, op.params) == ("instance.snapshot_delete", {"name": "base", "children": True})


def test_unknown_snapshots_and_overlays_are_404(client_for, operator, instance):
    client = client_for(operator)
    assert client.get(reverse("snapshot-revert", args=[instance.pk, "gone"])).status_code == 404
    assert client.post(reverse("snapshot-delete", args=[instance.pk, "a/b c"])).status_code == 404
    assert client.get(reverse("disk-commit", args=[instance.pk, "vdb"])).status_code == 404
    assert client.get(reverse("disk-snapshot", args=[instance.pk, "vdz"])).status_code == 404
    assert not Operation.objects.exists()


def test_image_form_refuses_a_taken_or_hostile_name(client_for, operator, instance, rq_worker):
    Image.objects.create(name="taken")
    client = client_for(operator)
    url = reverse("snapshot-image", args=[instance.pk])
    for name, message in [("taken", "An image named taken already exists."), ("a/b", "is not a valid name")]:
        response = client.post(url, {"name": name, "target": "vda"})
        assert message in " ".join(response.context["form"].errors["name"])
    response = client.post(url, {"name": "ok", "target": "hdc"})
    assert "Select a valid choice" in " ".join(response.context["form"].errors["target"])
    assert not Operation.objects.exists()
    client.post(url, {"name": "web-image", "target": "vda"})
    assert Operation.objects.get().params == {"name": "web-image", "target": "vda"}


def test_disk_snapshot_and_commit_queue_their_operations(client_for, operator, instance, rq_worker):
    client = client_for(operator)
    response = client.post(reverse("disk-snapshot", args=[instance.pk, "vda"]), {"name": "x y"})
    assert "is not a valid name" in " ".join(response.context["form"].errors["name"])
    page = client.get(reverse("disk-commit", args=[instance.pk, "vda"])).content.decode()
    assert "is merged into /p/a.qcow2" in page
    client.post(reverse("disk-commit", args=[instance.pk, "vda"]))
    client.post(reverse("disk-snapshot", args=[instance.pk, "vda"]), {"name": "nightly"})  # busy: the commit waits
    op = Operation.objects.get()
    assert (op.kind, op.params) == ("instance.disk_commit", {"target": "vda"})


def test_tree_treats_orphans_as_roots_and_survives_loops():
    flat = [{"name": "a", "parent": "b"}, {"name": "b", "parent": "a"}, {"name": "c", "parent": "gone"}]
    assert [node["snapshot"]["name"] for node in snapshot_tree(flat)] == ["c"]
    assert snapshot_tree(None) == []
