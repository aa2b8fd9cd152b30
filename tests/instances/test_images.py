"""Images from the console's own pages: an upload from the browser's form, and an import the real
worker downloads from a URL (a server on 127.0.0.1 here), with its refusals and failures leaving
nothing behind."""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditAction, AuditEntry
from instances.models import Image
from jobs.models import Operation
from jobs.services import request_stop
from tests.support.files_server import QCOW2, files_server, held_download  # noqa: F401  (fixture)
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.django_db(transaction=True)
KERNEL = b"\x7fELF-not-really-a-kernel" * 1000


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def media_files(media) -> list[Path]:
    return sorted(path for path in Path(media).rglob("*") if path.is_file())


def test_an_uploaded_kernel_image_is_added_and_listed(admin_client, media):
    response = admin_client.post(reverse("image-upload"), {
        "name": "my-kernel", "disk_format": "qcow2", "cmdline": "console=ttyS0",
        "kernel": SimpleUploadedFile("vmlinuz", KERNEL), "initrd": SimpleUploadedFile("initrd.img", b"initrd"),
    })  # fmt: skip
    assert response.status_code == 302 and response.url == reverse("image-list")
    image = Image.objects.get(name="my-kernel")
    assert Path(image.kernel.path).read_bytes() == KERNEL and image.cmdline == "console=ttyS0" and not image.disk
    assert AuditEntry.objects.filter(action=AuditAction.IMAGE_ADD, object_name="my-kernel").exists()
    page = admin_client.get(reverse("image-list")).content.decode()
    assert "my-kernel" in page and "<code>console=ttyS0</code>" in page and "kernel 23.4 KiB" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "disk", "Give a disk image, or a kernel to boot directly."),
        ({"initrd": b"x"}, "initrd", "An initrd needs a kernel."),
        ({"disk": b"not qcow2 at all"}, "disk", "This file is not a qcow2 image"),
        ({"disk": QCOW2, "cmdline": "console=ttyS0"}, "cmdline", "A command line needs a kernel."),
    ],
)
def test_an_upload_that_cannot_boot_is_refused_and_changes_nothing(admin_client, media, data, field, message):
    post = {"name": "bad", "disk_format": "qcow2", "cmdline": data.pop("cmdline", "")}
    post |= {role: SimpleUploadedFile(role, content) for role, content in data.items()}
    response = admin_client.post(reverse("image-upload"), post)
    assert response.status_code == 200 and message in str(response.context["form"].errors[field])
    assert not Image.objects.exists() and media_files(media) == []


def test_an_image_is_imported_from_a_url_by_the_worker(admin_client, admin_user, rq_worker, files_server, media):  # noqa: F811
    base, body = files_server.url, files_server.body
    response = admin_client.post(reverse("image-import"), {"name": "fetched", "disk_url": f"{base}/disk.qcow2",
                                                           "disk_format": "qcow2"})  # fmt: skip
    op = Operation.objects.get(kind="image.import")
    assert response.url == reverse("operation-detail", args=[op.pk])
    op = wait_for_operation(op.pk, timeout=60)
    assert (op.status, op.message) == ("succeeded", "Imported (disk 3.0 MiB)")
    image = Image.objects.get(name="fetched")
    assert Path(image.disk.path).read_bytes() == body and image.disk_format == "qcow2"
    assert media_files(media) == [Path(image.disk.path)]
    assert AuditEntry.objects.filter(action=AuditAction.IMAGE_ADD, object_name="fetched", user=admin_user).exists()


def test_a_failed_import_leaves_no_file_and_no_image(admin_client, rq_worker, files_server, media):  # noqa: F811
    base = files_server.url
    admin_client.post(reverse("image-import"), {"name": "half", "disk_url": f"{base}/disk.qcow2",
                                                "kernel_url": f"{base}/missing", "disk_format": "qcow2"})  # fmt: skip
    op = wait_for_operation(Operation.objects.get(kind="image.import").pk, timeout=60)
    assert op.status == "failed" and f"Downloading {base}/missing failed: Not Found." in op.error
    assert not Image.objects.exists() and media_files(media) == []  # the disk it had fetched went too


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"disk_url": "file:///etc/passwd"}, "disk_url", "Enter an http:// or https:// address."),
        ({"disk_url": "ftp://example.org/x"}, "disk_url", "Enter an http:// or https:// address."),
        ({}, "disk_url", "Give a disk image, or a kernel to boot directly."),
        ({"disk_url": "http://127.0.0.1/x", "name": "taken"}, "name", "An image named taken already exists."),
    ],
)
def test_an_import_that_cannot_work_is_refused_and_queues_nothing(admin_client, rq_worker, data, field, message):
    Image.objects.create(name="taken", kernel="images/k")
    response = admin_client.post(reverse("image-import"), {"name": "new", "disk_format": "raw", **data})
    assert message in str(response.context["form"].errors[field])
    assert not Operation.objects.exists() and Image.objects.count() == 1


def test_an_aborted_import_leaves_no_file_and_no_image(admin_user, rq_worker, files_server, media):  # noqa: F811
    op = held_download("aborted", admin_user, files_server)
    (name,) = op.result["written"]  # noted before anything is stored
    assert not default_storage.exists(name), "a part of a file is never in the storage"
    request_stop(op, user=admin_user)  # the read blocked on the held rest is cut
    op = wait_for_operation(op.pk, timeout=30)
    assert op.status == "aborted" and "nothing downloaded was kept, no image was made" in op.error
    assert not Image.objects.exists() and media_files(media) == []
