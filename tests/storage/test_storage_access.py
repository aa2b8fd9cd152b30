"""Every storage view: the wrong method, a missing right, a missing object and a hostile name are
refused, and none of them starts an operation."""

import libvirt
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jobs.models import Operation

pytestmark = pytest.mark.django_db(transaction=True)

# (url name, its kwargs beyond host_pk, the method that changes something, form data)
MUTATING = [
    ("storage-pool-define", {}, "post", {"name": "x", "path": "/tmp/x"}),
    ("storage-pool-start", {"pool": "P"}, "post", {}),
    ("storage-pool-stop", {"pool": "P"}, "post", {}),
    ("storage-pool-delete", {"pool": "P"}, "post", {}),
    ("storage-volume-create", {"pool": "P"}, "post", {"name": "v", "size": "1", "unit": "MiB", "format": "raw"}),
    ("storage-volume-upload", {"pool": "P"}, "post", {"name": "v"}),
    ("storage-volume-resize", {"pool": "P", "volume": "V"}, "post", {"size": "9", "unit": "GiB"}),
    ("storage-volume-delete", {"pool": "P", "volume": "V"}, "post", {}),
    ("storage-volume-download", {"pool": "P", "volume": "V"}, "post", {}),
]
POST_ONLY = {"storage-pool-start", "storage-pool-stop", "storage-volume-download"}
HOSTILE = ['a"b', "<script>", "a/b", "ü", ".hidden", "a b", "x" * 101, "a\nb", "'; drop"]


def url(host, name, kwargs, real_volume):
    pool, volume = real_volume
    names = {"pool": pool, "volume": volume}
    return reverse(name, kwargs={"host_pk": host.pk, **{key: names[key] for key in kwargs}})


@pytest.mark.parametrize(("name", "kwargs", "method", "data"), MUTATING, ids=[row[0] for row in MUTATING])
def test_a_viewer_may_not_change_storage(
    client_for, viewer, qemu_host, real_volume, rq_worker, name, kwargs, method, data
):
    response = client_for(viewer).post(url(qemu_host, name, kwargs, real_volume), data)
    assert response.status_code == 403
    assert not Operation.objects.exists()


@pytest.mark.parametrize(("name", "kwargs", "method", "data"), MUTATING, ids=[row[0] for row in MUTATING])
def test_a_wrong_method_is_refused(client_for, operator, qemu_host, real_volume, rq_worker, name, kwargs, method, data):
    client = client_for(operator)
    target = url(qemu_host, name, kwargs, real_volume)
    assert client.put(target).status_code == 405
    assert client.delete(target).status_code == 405
    if name in POST_ONLY:
        assert client.get(target).status_code == 405
    assert not Operation.objects.exists()


@pytest.mark.parametrize(("name", "kwargs", "method", "data"), MUTATING, ids=[row[0] for row in MUTATING])
def test_a_missing_host_pool_or_volume_is_404(
    client_for, operator, qemu_host, real_volume, rq_worker, name, kwargs, method, data
):
    client = client_for(operator)
    assert (
        client.post(reverse(name, kwargs={"host_pk": 999999, **{key: "x" for key in kwargs}}), data).status_code == 404
    )
    for missing in kwargs:
        names = dict(zip(("pool", "volume"), real_volume, strict=True))
        names[missing] = "lvc-test-missing"
        target = reverse(name, kwargs={"host_pk": qemu_host.pk, **{key: names[key] for key in kwargs}})
        assert client.post(target, data).status_code == 404
    assert not Operation.objects.exists()


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_pool_names_are_refused_with_the_rule(client_for, operator, qemu_host, rq_worker, hostile):
    response = client_for(operator).post(
        reverse("storage-pool-define", kwargs={"host_pk": qemu_host.pk}), {"name": hostile, "path": "/tmp/lvc-x"}
    )
    assert response.status_code == 200
    assert "letters, digits" in " ".join(response.context["form"].errors["name"])
    assert not Operation.objects.exists()


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_volume_names_are_refused_with_the_rule(
    client_for, operator, qemu_host, real_volume, rq_worker, hostile
):
    client = client_for(operator)
    pool = real_volume[0]
    create = client.post(
        reverse("storage-volume-create", kwargs={"host_pk": qemu_host.pk, "pool": pool}),
        {"name": hostile, "size": "1", "unit": "MiB", "format": "raw"},
    )
    upload = client.post(
        reverse("storage-volume-upload", kwargs={"host_pk": qemu_host.pk, "pool": pool}),
        {"name": hostile, "file": _file()},
    )
    for response in (create, upload):
        assert response.status_code == 200
        assert "letters, digits" in " ".join(response.context["form"].errors["name"])
    assert not Operation.objects.exists()


@pytest.mark.parametrize("path", ["relative/dir", "/", "/a/../etc", "/a\nb"])
def test_bad_pool_paths_are_refused(client_for, operator, qemu_host, rq_worker, path):
    response = client_for(operator).post(
        reverse("storage-pool-define", kwargs={"host_pk": qemu_host.pk}), {"name": "lvc-test-p", "path": path}
    )
    assert response.status_code == 200 and response.context["form"].errors["path"]
    assert not Operation.objects.exists()


def test_names_already_used_and_shrinking_are_refused(client_for, operator, qemu_host, real_volume, rq_worker):
    client = client_for(operator)
    pool, volume = real_volume
    args = {"host_pk": qemu_host.pk, "pool": pool}
    same_pool = client.post(
        reverse("storage-pool-define", kwargs={"host_pk": qemu_host.pk}), {"name": pool, "path": "/tmp/p"}
    )
    same_volume = client.post(
        reverse("storage-volume-create", kwargs=args), {"name": volume, "size": "1", "unit": "MiB", "format": "raw"}
    )
    shrink = client.post(
        reverse("storage-volume-resize", kwargs={**args, "volume": volume}), {"size": "0.5", "unit": "MiB"}
    )

    assert "already exists" in " ".join(same_pool.context["form"].errors["name"])
    assert "already exists" in " ".join(same_volume.context["form"].errors["name"])
    assert "can only grow" in " ".join(shrink.context["form"].errors["size"])
    assert not Operation.objects.exists()


def test_changes_without_a_worker_are_refused_with_a_message(client_for, operator, qemu_host, real_volume):
    pool = real_volume[0]
    response = client_for(operator).post(
        reverse("storage-pool-stop", kwargs={"host_pk": qemu_host.pk, "pool": pool}), follow=True
    )
    assert "No job worker is running" in response.content.decode()
    assert not Operation.objects.exists()


def test_the_pool_page_shows_the_real_pool_and_volume_and_reads_the_database_only(
    client_for, viewer, operator, qemu_host, real_volume, monkeypatch
):
    monkeypatch.setattr(libvirt, "openAuth", lambda *a: pytest.fail("a page opened a libvirt connection"))
    monkeypatch.setattr(libvirt, "open", lambda *a: pytest.fail("a page opened a libvirt connection"))
    pool, volume = real_volume
    page = client_for(viewer).get(reverse("storage-pools", kwargs={"host_pk": qemu_host.pk})).content.decode()

    assert pool in page and volume in page and "1.0 MiB" in page and "raw" in page
    assert f'id="pools" data-live-refresh="host-inventory:{qemu_host.pk}"' in page
    assert "Delete" not in page and "New volume" not in page  # a viewer gets no buttons
    page = client_for(operator).get(reverse("storage-pools", kwargs={"host_pk": qemu_host.pk})).content.decode()
    assert "New volume" in page and "Download" in page


def test_an_outsider_may_not_see_the_pools(client_for, outsider, qemu_host):
    assert client_for(outsider).get(reverse("storage-pools", kwargs={"host_pk": qemu_host.pk})).status_code == 403
    assert client_for(outsider).get(reverse("storage-pools", kwargs={"host_pk": 999999})).status_code == 404


def _file():
    return SimpleUploadedFile("data.bin", b"0123456789")


def test_form_and_confirmation_pages_render_for_an_operator(client_for, operator, qemu_host, real_volume):
    pool, volume = real_volume
    client = client_for(operator)
    pages = {
        "storage-pool-define": ({}, "Define pool"),
        "storage-pool-delete": ({"pool": pool}, "only when empty"),
        "storage-volume-create": ({"pool": pool}, "Create volume"),
        "storage-volume-upload": ({"pool": pool}, 'enctype="multipart/form-data"'),
        "storage-volume-resize": ({"pool": pool, "volume": volume}, "Resize"),
        "storage-volume-delete": ({"pool": pool, "volume": volume}, "Delete volume"),
    }
    for name, (kwargs, text) in pages.items():
        response = client.get(reverse(name, kwargs={"host_pk": qemu_host.pk, **kwargs}))
        assert response.status_code == 200 and text in response.content.decode(), name
    assert not Operation.objects.exists()
