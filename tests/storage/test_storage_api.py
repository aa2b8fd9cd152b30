"""Storage through the API on the real libvirtd: a pool defined, a volume made, grown and deleted
with the pages' forms, checked with virsh. (A volume a guest still needs: tests/storage/test_storage_in_use.py.)"""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from api.models import ApiToken
from jobs.models import Operation
from tests.storage.conftest import unique
from tests.storage.test_storage_operations import virsh
from tests.support.api import call, ran
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_pool_and_a_volume_live_their_life_through_the_api(client, operator, qemu_host, qemu_conn, pool_names,
                                                             pool_dir, rq_worker):  # fmt: skip
    _token, secret = ApiToken.issue(user=operator, name="ansible")
    action = lambda name: reverse("api-host-action", args=[qemu_host.pk, name])  # noqa: E731
    pool, volume = pool_names(), unique(".qcow2")
    ran(client, action("pool-define"), secret, {"params": {"name": pool, "path": str(pool_dir / pool)}})
    assert [pool, "active", "yes"] in [line.split() for line in virsh("pool-list", "--all").splitlines()]

    ran(client, action("volume-create"), secret, {"pool": pool, "params": {"name": volume, "size": 8, "unit": "MiB"}})
    assert qemu_conn.storageVolLookupByPath(str(pool_dir / pool / volume)).info()[1] == 8 * 1024**2
    listed = call(client, "get", reverse("api-host-storage", args=[qemu_host.pk]), secret).json()["pools"]
    assert volume in [vol["name"] for found in listed if found["name"] == pool for vol in found["volumes"]]

    smaller = call(client, "post", action("volume-resize"), secret,
                   {"pool": pool, "volume": volume, "params": {"size": 4, "unit": "MiB"}})  # fmt: skip
    assert smaller.status_code == 400 and "can only grow" in smaller.json()["error"]["message"]
    grow = {"pool": pool, "volume": volume, "params": {"size": 16, "unit": "MiB"}}
    ran(client, action("volume-resize"), secret, grow)
    assert qemu_conn.storageVolLookupByPath(str(pool_dir / pool / volume)).info()[1] == 16 * 1024**2

    unnamed = call(client, "post", action("volume-delete"), secret, {"pool": pool})
    assert unnamed.status_code == 400 and unnamed.json()["error"]["fields"] == {
        "volume": ["Say which volume volume-delete concerns."]}  # fmt: skip
    ran(client, action("volume-delete"), secret, {"pool": pool, "volume": volume})
    assert volume not in virsh("vol-list", pool)
    ran(client, action("pool-delete"), secret, {"pool": pool, "params": {"delete_dir": True}})
    assert pool not in virsh("pool-list", "--all") and not (pool_dir / pool).exists()
    assert Operation.objects.filter(status="succeeded").count() == 5


def test_a_file_goes_into_a_volume_and_comes_back_through_the_api(client, operator, admin_user, qemu_host, qemu_conn,
                                                                  real_volume, transfers_dir, rq_worker):  # fmt: skip
    """Upload (multipart, the upload page's form), then download: the same bytes, served once, only
    to who asked, nothing left in the transfers folder."""
    pool, existing = real_volume
    _token, secret = ApiToken.issue(user=operator, name="backup")
    signed = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    upload, name, data = (
        reverse("api-volume-upload", args=[qemu_host.pk, pool]),
        unique(".img"),
        os.urandom(2 * 1024**2 + 77),
    )
    both = client.post(upload, {"name": name, "volume": existing, "file": SimpleUploadedFile("d", b"x")}, **signed)
    assert both.status_code == 400 and both.json()["error"]["fields"] == {
        "name": ["Choose an existing volume or a new name, not both."]}  # fmt: skip
    assert not Operation.objects.exists() and not transfers_dir.exists()

    answer = client.post(upload, {"name": name, "file": SimpleUploadedFile("disk.img", data)}, **signed)
    assert answer.status_code == 202 and answer["Location"] == answer.json()["url"]
    op = wait_for_operation(answer.json()["id"], timeout=60)
    assert op.status == "succeeded", op.error
    assert qemu_conn.storagePoolLookupByName(pool).storageVolLookupByName(name).info()[1] == len(data)
    assert call(client, "get", reverse("api-operation-file", args=[op.pk]), secret).json()["error"]["message"] == (
        f"Operation {op.pk} (Upload into volume) leaves no file to fetch."
    )

    download = ran(client, reverse("api-host-action", args=[qemu_host.pk, "volume-download"]), secret,
                   {"pool": pool, "volume": name})  # fmt: skip
    detail = call(client, "get", reverse("api-operation-detail", args=[download.pk]), secret).json()
    assert detail["file"] == reverse("api-operation-file", args=[download.pk])
    _other, admin_secret = ApiToken.issue(user=admin_user, name="admin's")
    assert call(client, "get", detail["file"], admin_secret).status_code == 403  # not who asked for it
    fetched = client.get(detail["file"], **signed)
    assert fetched.status_code == 200 and name in fetched["Content-Disposition"]
    assert b"".join(fetched.streaming_content) == data
    assert not list(transfers_dir.iterdir())  # served once, nothing left behind
    again = call(client, "get", detail["file"], secret)
    assert again.status_code == 404 and "fetched already" in again.json()["error"]["message"]
