"""A worker as on another machine: a state directory of its own (STATE_DIR), sharing with the web
only what the deployment guide says to share (the keys, the database, Redis, and the file storage:
a shared folder here, as a mount would be). It spawns from an image the web stored, and a console
log it fetches is served by the web; nothing passes through either one's own folder."""

import uuid

import pytest
from django.urls import reverse

from config.settings import file_storages
from instances.models import Instance
from instances.services import create_instance, request_operation
from jobs.models import OperationStatus
from tests.support.guest import MARKER, NAME_PREFIX
from tests.support.instances import guest_of, remove_instance
from tests.support.processes import WorkerProcess, process_env, stop_thread_worker
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.qemu


def test_a_worker_with_its_own_state_directory_spawns_and_hands_a_file_back(
    qemu_host, qemu_conn, tiny_flavor, tiny_image, admin_user, admin_client, rq_worker, settings, tmp_path
):
    stop_thread_worker(rq_worker)
    shared_transfers = tmp_path / "shared" / "transfers"  # MEDIA_ROOT is the test's shared media folder
    settings.STORAGES = file_storages(settings.FILE_STORAGE, settings.FILE_STORAGE_OPTIONS, shared_transfers)
    elsewhere = tmp_path / "elsewhere"
    env = process_env(STATE_DIR=str(elsewhere), TRANSFERS_DIR=str(shared_transfers), SECRET_KEY=settings.SECRET_KEY)
    worker = WorkerProcess(tmp_path / "worker.log", env=env).start()
    name = f"{NAME_PREFIX}{uuid.uuid4().hex[:8]}"
    try:
        op = wait_for_operation(create_instance(host=qemu_host, name=name, flavor=tiny_flavor, image=tiny_image,
                                                user=admin_user).pk, timeout=180)  # fmt: skip
        assert op.status == OperationStatus.SUCCEEDED, f"{op.error}\n{worker.log()[-2000:]}"
        instance = Instance.objects.get(pk=op.target_id)
        guest_of(qemu_conn, instance).wait_for_serial(MARKER, timeout=90)

        fetch = request_operation(instance=instance, kind="instance.console_log", user=admin_user)
        fetch = wait_for_operation(fetch.pk, timeout=60)
        assert fetch.status == OperationStatus.SUCCEEDED, fetch.error
        response = admin_client.get(reverse("console-log-download", args=[instance.pk, fetch.pk]))
        assert response.status_code == 200 and MARKER.encode() in b"".join(response.streaming_content)
    finally:
        worker.stop()
        remove_instance(qemu_conn, Instance.objects.filter(name=name).values_list("uuid", flat=True).first(), name)
    assert [path.name for path in shared_transfers.iterdir()] == [fetch.result["file"]]
    assert not (elsewhere / "transfers").exists() and not (elsewhere / "media").exists()
