"""Storage errors say what happened: a file error on the host is not "host unreachable", and a host
removed from the console while its operation waited is not an "Internal error"."""

import shutil

import pytest
from django.urls import reverse
from rq.suspension import resume, suspend

from hosts.models import Host, HostStatus
from jobs.models import Operation, OperationStatus
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_file_error_on_the_host_is_reported_as_such_and_the_host_stays_up(
    client_for, operator, qemu_conn, qemu_host, real_pool, pool_dir, rq_worker
):
    shutil.rmtree(pool_dir / real_pool)  # the pool's directory removed behind libvirt's back
    form = {"name": "new.img", "size": "1", "unit": "MiB", "format": "raw"}
    client_for(operator).post(
        reverse("storage-volume-create", kwargs={"host_pk": qemu_host.pk, "pool": real_pool}), form
    )

    op = wait_for_operation(Operation.objects.get().pk)
    assert op.status == OperationStatus.FAILED
    assert op.error.startswith("File or system error on the host: ") and "No such file or directory" in op.error
    assert "unreachable" not in op.error.lower()
    assert Host.objects.get(pk=qemu_host.pk).status == HostStatus.UP


@pytest.mark.parametrize("kind", ["storage.pool_start", "host.check"])
def test_a_host_removed_while_its_operation_waited_ends_with_a_clear_message(
    client_for, operator, qemu_host, real_pool, redis_conn, request, kind
):
    suspend(redis_conn)  # the worker takes nothing, as behind a long queue
    request.getfixturevalue("rq_worker")
    urls = {"storage.pool_start": reverse("storage-pool-start", kwargs={"host_pk": qemu_host.pk, "pool": real_pool}),
            "host.check": reverse("host-check", args=[qemu_host.pk])}  # fmt: skip
    client_for(operator).post(urls[kind])
    queued = Operation.objects.get(kind=kind)
    Host.objects.get(pk=qemu_host.pk).delete()
    resume(redis_conn)

    op = wait_for_operation(queued.pk)
    assert (op.status, op.message) == (OperationStatus.FAILED, "Failed")
    assert op.error == "Host this machine was removed from the console: nothing was done."
