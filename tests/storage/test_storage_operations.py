"""Storage changes through the web views and the real worker, on the real libvirtd."""

import os
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hosts.models import Host
from jobs.models import Operation, OperationStatus
from tests.storage.conftest import unique
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.django_db(transaction=True)


def virsh(*args: str) -> str:
    return subprocess.run(["virsh", "-c", "qemu:///system", *args], capture_output=True, text=True, check=True).stdout


def succeeded(response) -> Operation:
    op = Operation.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == reverse("operation-detail", args=[op.pk])
    op = wait_for_operation(op.pk, timeout=60)
    assert op.status == OperationStatus.SUCCEEDED, op.error
    return op


def volume_of(host: Host, pool: str, volume: str) -> dict | None:
    host.refresh_from_db()
    found = [p for p in host.inventory["pools"] if p["name"] == pool]
    return next((v for v in found[0]["volumes"] if v["name"] == volume), None) if found else None


def test_defining_a_dir_pool_builds_starts_it_and_virsh_lists_it_then_stop_start_delete(
    client_for, operator, qemu_host, qemu_conn, pool_names, pool_dir, rq_worker
):
    client, name, path = client_for(operator), pool_names(), pool_dir / "images"
    args = {"host_pk": qemu_host.pk, "pool": name}
    form = {"name": name, "path": str(path), "build": "on", "start": "on", "autostart": "on"}

    op = succeeded(client.post(reverse("storage-pool-define", kwargs={"host_pk": qemu_host.pk}), form))

    assert op.result["url"] == reverse("storage-pools", kwargs={"host_pk": qemu_host.pk})
    assert path.is_dir()
    listed = [line.split() for line in virsh("pool-list", "--all").splitlines() if name in line]
    assert listed == [[name, "active", "yes"]]
    assert name in client.get(op.result["url"]).content.decode()  # the probe refreshed the inventory

    succeeded(client.post(reverse("storage-pool-stop", kwargs=args)))
    assert not qemu_conn.storagePoolLookupByName(name).isActive()
    assert "inactive" in client.get(op.result["url"]).content.decode()
    succeeded(client.post(reverse("storage-pool-start", kwargs=args)))
    assert qemu_conn.storagePoolLookupByName(name).isActive()

    confirm = client.get(reverse("storage-pool-delete", kwargs=args))
    assert confirm.status_code == 200 and "Delete pool" in confirm.content.decode()
    assert Operation.objects.count() == 3  # the confirmation page changed nothing
    succeeded(client.post(reverse("storage-pool-delete", kwargs=args), {"delete_dir": "on"}))
    assert name not in virsh("pool-list", "--all") and not path.exists()
    assert name not in client.get(op.result["url"]).content.decode()


def test_defining_a_pool_whose_directory_is_missing_fails_and_leaves_nothing(
    client_for, operator, qemu_host, pool_names, pool_dir, rq_worker
):
    name = pool_names()
    form = {"name": name, "path": str(pool_dir / "absent"), "start": "on"}  # not built: cannot start
    client_for(operator).post(reverse("storage-pool-define", kwargs={"host_pk": qemu_host.pk}), form)

    op = wait_for_operation(Operation.objects.get().pk)
    assert op.status == OperationStatus.FAILED and "absent" in op.error
    assert name not in virsh("pool-list", "--all")


def test_a_volume_is_created_grown_and_deleted(client_for, operator, qemu_host, qemu_conn, real_pool, rq_worker):
    client, name = client_for(operator), unique(".qcow2")
    args = {"host_pk": qemu_host.pk, "pool": real_pool}
    form = {"name": name, "size": "16", "unit": "MiB", "format": "qcow2"}

    succeeded(client.post(reverse("storage-volume-create", kwargs=args), form))
    volume = volume_of(qemu_host, real_pool, name)
    assert (volume["format"], volume["capacity"]) == ("qcow2", 16 * 1024**2)
    page = client.get(reverse("storage-pools", kwargs={"host_pk": qemu_host.pk})).content.decode()
    assert name in page and "16.0 MiB" in page

    resize = reverse("storage-volume-resize", kwargs={**args, "volume": name})
    assert client.get(resize).status_code == 200
    succeeded(client.post(resize, {"size": "32", "unit": "MiB"}))
    assert qemu_conn.storagePoolLookupByName(real_pool).storageVolLookupByName(name).info()[1] == 32 * 1024**2
    assert volume_of(qemu_host, real_pool, name)["capacity"] == 32 * 1024**2

    delete = reverse("storage-volume-delete", kwargs={**args, "volume": name})
    assert "for good" in client.get(delete).content.decode()
    succeeded(client.post(delete))
    assert volume_of(qemu_host, real_pool, name) is None and not os.path.exists(volume["path"])


def test_uploaded_bytes_come_back_unchanged_from_a_download(
    client_for, operator, admin_user, qemu_host, real_pool, transfers_dir, rq_worker
):
    client, name, data = client_for(operator), unique(".img"), os.urandom(3 * 1024**2 + 123)
    args = {"host_pk": qemu_host.pk, "pool": real_pool}
    upload = reverse("storage-volume-upload", kwargs=args)
    with open(transfers_dir.parent.parent / "disk.img", "wb") as file:
        file.write(data)
    with open(transfers_dir.parent.parent / "disk.img", "rb") as file:
        op = succeeded(client.post(upload, {"name": name, "file": file}))

    assert op.progress == 100 and volume_of(qemu_host, real_pool, name)["capacity"] == len(data)
    assert oct(transfers_dir.stat().st_mode & 0o777) == "0o700" and not list(transfers_dir.iterdir())

    op = succeeded(client.post(reverse("storage-volume-download", kwargs={**args, "volume": name})))
    assert op.result["url"] == reverse("storage-download", kwargs={"host_pk": qemu_host.pk, "op_pk": op.pk})
    assert [oct(path.stat().st_mode & 0o777) for path in transfers_dir.iterdir()] == ["0o600"]
    assert client_for(admin_user).get(op.result["url"]).status_code == 403  # not who asked for it
    response = client_for(operator).get(op.result["url"])
    assert response.status_code == 200 and name in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == data
    assert not list(transfers_dir.iterdir())  # served once, nothing left behind
    assert client.get(op.result["url"]).status_code == 404
    assert client.post(op.result["url"]).status_code == 405


def test_an_upload_into_an_existing_volume_too_small_for_it_is_refused(
    client_for, operator, qemu_host, real_volume, transfers_dir, rq_worker
):
    pool, volume = real_volume  # 1 MiB
    response = client_for(operator).post(
        reverse("storage-volume-upload", kwargs={"host_pk": qemu_host.pk, "pool": pool}),
        {"volume": volume, "file": SimpleUploadedFile("big.bin", b"x" * (1024**2 + 1))},
    )
    assert "larger than" in " ".join(response.context["form"].errors["file"])
    assert not Operation.objects.exists() and not transfers_dir.exists()


def test_an_upload_into_an_existing_volume_replaces_its_bytes(
    client_for, operator, qemu_host, qemu_conn, real_volume, transfers_dir, rq_worker
):
    pool, volume = real_volume
    data = os.urandom(1024**2)
    succeeded(
        client_for(operator).post(
            reverse("storage-volume-upload", kwargs={"host_pk": qemu_host.pk, "pool": pool}),
            {"volume": volume, "file": SimpleUploadedFile("disk.img", data)},
        )
    )
    path = qemu_conn.storagePoolLookupByName(pool).storageVolLookupByName(volume).path()
    with open(path, "rb") as file:  # a check from the test only: the code streams through libvirt
        assert file.read() == data
