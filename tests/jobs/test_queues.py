"""Clicks before copies: a worker that frees up takes a waiting click (a host check) before a
copy queued earlier (an image import), whichever came first. Real worker, real Redis."""

import pytest
from django.urls import reverse
from rq.suspension import resume, suspend

from hosts.models import Host
from jobs.models import Operation, OperationStatus
from jobs.registry import BULK, CLICKS, HANDLERS
from jobs.services import start_operation
from tests.support.files_server import files_server  # noqa: F401  (fixture)
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_click_queued_behind_a_copy_runs_first(admin_client, admin_user, redis_conn, request, files_server, settings,  # noqa: F811
                                                 tmp_path):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path / "media"
    host = Host.objects.create(name="embedded", uri="test:///default")
    suspend(redis_conn)  # the worker is busy elsewhere while both are queued
    request.getfixturevalue("rq_worker")
    try:
        admin_client.post(reverse("image-import"), {"name": "copy", "disk_url": f"{files_server.url}/disk.qcow2",
                                                    "disk_format": "qcow2"})  # fmt: skip
        copy = Operation.objects.get(kind="image.import")
        click = start_operation(kind="host.check", target=host, user=admin_user)
        assert (HANDLERS[copy.kind].queue, HANDLERS[click.kind].queue) == (BULK, CLICKS)
    finally:
        resume(redis_conn)
    copy, click = wait_for_operation(copy.pk, timeout=60), wait_for_operation(click.pk, timeout=60)

    assert [copy.status, click.status] == [OperationStatus.SUCCEEDED] * 2, (copy.error, click.error)
    assert click.started < copy.started, "the click was taken first"
