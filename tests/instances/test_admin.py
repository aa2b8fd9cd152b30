"""The admin holds the inventory: instances and cached images read-only, flavors and images
editable, operations readable without their input."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hosts.credentials import encrypt
from hosts.models import Host
from instances.models import CachedImage, Flavor, Image, Instance
from jobs.models import Operation

pytestmark = pytest.mark.django_db


@pytest.fixture
def inventory(db):
    host = Host.objects.create(name="alpha", uri="test:///default")
    flavor = Flavor.objects.create(name="small", vcpus=1, memory_mib=256)
    image = Image.objects.create(name="debian", checksums={"disk": "ab" * 32})
    instance = Instance.objects.create(host=host, uuid=uuid.uuid4(), name="web-1", flavor=flavor, image=image,
                                       rescue_definition="<domain>SAVED-DEFINITION</domain>")  # fmt: skip
    CachedImage.objects.create(host=host, volume="disk-abc.qcow2", checksum="ab" * 32, last_used=timezone.now())
    return instance


@pytest.mark.parametrize(
    "path",
    ["instances/instance", "instances/flavor", "instances/image", "instances/cachedimage", "jobs/operation"],
)
def test_changelists_load_for_a_superuser(client_for, admin_user, inventory, path):
    response = client_for(admin_user).get(f"/admin/{path}/")
    assert response.status_code == 200


def test_changelist_filters_and_search(client_for, admin_user, inventory):
    client = client_for(admin_user)
    assert "web-1" in client.get("/admin/instances/instance/", {"q": str(inventory.uuid)}).content.decode()
    assert "web-1" not in client.get("/admin/instances/instance/", {"q": "nothing"}).content.decode()
    assert "web-1" in client.get("/admin/instances/instance/", {"host__id__exact": inventory.host_id}).content.decode()
    assert client.get("/admin/instances/flavor/", {"graphics__exact": "vnc", "q": "small"}).status_code == 200


def test_instances_are_read_only_and_never_show_the_saved_definition(client_for, admin_user, inventory):
    client = client_for(admin_user)
    body = client.get(f"/admin/instances/instance/{inventory.pk}/change/").content.decode()
    assert "web-1" in body and str(inventory.uuid) in body and "SAVED-DEFINITION" not in body
    assert 'name="_save"' not in body
    assert client.get("/admin/instances/instance/add/").status_code == 403
    client.post(f"/admin/instances/instance/{inventory.pk}/change/", {"name": "renamed", "state": "running"})
    inventory.refresh_from_db()
    assert (inventory.name, inventory.state) == ("web-1", "unknown")
    assert client.post(f"/admin/instances/instance/{inventory.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Instance.objects.filter(pk=inventory.pk).exists()


def test_cached_images_are_read_only(client_for, admin_user, inventory):
    client = client_for(admin_user)
    assert client.get("/admin/instances/cachedimage/add/").status_code == 403
    assert "disk-abc.qcow2" in client.get("/admin/instances/cachedimage/").content.decode()


def test_a_flavor_is_added_in_the_admin(client_for, admin_user):
    client = client_for(admin_user)
    assert client.get("/admin/instances/flavor/add/").status_code == 200
    data = {"name": "large", "vcpus": 8, "memory_mib": 16384, "disk_gib": 20, "graphics": "spice", "extra_specs": "{}"}
    response = client.post("/admin/instances/flavor/add/", data)
    assert response.status_code == 302
    assert Flavor.objects.get(name="large").graphics == "spice"


def test_an_image_is_uploaded_in_the_admin_and_its_checksums_stay_read_only(client_for, admin_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(admin_user)
    body = client.get("/admin/instances/image/add/").content.decode()
    assert 'type="file" name="disk"' in body and 'name="checksums"' not in body

    response = client.post("/admin/instances/image/add/", {
        "name": "tiny", "disk_format": "raw", "cmdline": "console=ttyS0", "checksums": '{"disk": "forged"}',
        "disk": SimpleUploadedFile("tiny.img", b"\0" * 512), "kernel": SimpleUploadedFile("vmlinuz", b"kernel"),
    })  # fmt: skip
    assert response.status_code == 302
    image = Image.objects.get(name="tiny")
    assert image.disk.read() == b"\0" * 512 and image.kernel.name.startswith("images/vmlinuz")
    assert image.checksums == {}


def test_operations_are_shown_without_their_input(client_for, admin_user, inventory):
    secret = encrypt("admin-password-123")
    op = Operation.objects.create(kind="instance.spawn", target_type="instance", target_id=str(inventory.pk),
                                  target_name="web-1", host=inventory.host, params={"admin_password": secret,
                                  "ssh_keys": ["ssh-ed25519 PARAMS-MARKER"]})  # fmt: skip
    client = client_for(admin_user)
    body = client.get(f"/admin/jobs/operation/{op.pk}/change/").content.decode()
    assert "web-1" in body and "instance.spawn" in body
    assert secret not in body and "PARAMS-MARKER" not in body and "admin_password" not in body
    assert "web-1" in client.get("/admin/jobs/operation/", {"status__exact": "queued", "q": "web"}).content.decode()
    assert client.get("/admin/jobs/operation/add/").status_code == 403
