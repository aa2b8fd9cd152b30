"""Storage operations carried out on the worker: each changes the host, then re-reads its inventory."""

from django.urls import reverse

from hosts.operation_support import host_connection, reread_host
from jobs.progress import transfer_progress
from jobs.registry import BULK, OperationFailed, operation
from storage import transfers
from storage.usage import pool_refusal, volume_refusal
from virt import storage
from virt.errors import VirtError
from virt.usage import read_host_files


def _refuse(reason: str | None) -> None:
    """Checked here, on what the host says now, whatever the page showed: the rule cannot be bypassed."""
    if reason:
        raise OperationFailed(reason)


@operation("storage.pool_define", label="Define storage pool")
def define_pool(op, report):
    params = op.params
    with host_connection(op, report, f"Defining pool {params['name']}") as conn:
        storage.define_dir_pool(
            conn,
            name=params["name"],
            path=params["path"],
            build=params.get("build", True),
            start=params.get("start", True),
            autostart=params.get("autostart", True),
        )
    return reread_host(op, report, page="storage-pools")


@operation("storage.pool_start", label="Start storage pool")
def start_pool(op, report):
    with host_connection(op, report, f"Starting pool {op.params['pool']}") as conn:
        storage.start_pool(conn, op.params["pool"])
    return reread_host(op, report, page="storage-pools")


@operation("storage.pool_stop", label="Stop storage pool")
def stop_pool(op, report):
    with host_connection(op, report, f"Stopping pool {op.params['pool']}") as conn:
        storage.stop_pool(conn, op.params["pool"])
    return reread_host(op, report, page="storage-pools")


@operation("storage.pool_delete", label="Delete storage pool")
def delete_pool(op, report):
    with host_connection(op, report, f"Deleting pool {op.params['pool']}") as conn:
        _refuse(pool_refusal(read_host_files(conn), op.params["pool"]))
        storage.delete_pool(conn, op.params["pool"], delete_dir=op.params.get("delete_dir", False))
    return reread_host(op, report, page="storage-pools")


@operation("storage.volume_create", label="Create volume")
def create_volume(op, report):
    params = op.params
    with host_connection(op, report, f"Creating volume {params['name']}") as conn:
        storage.create_volume(conn, params["pool"], name=params["name"], capacity=params["bytes"], fmt=params["format"])
    return reread_host(op, report, page="storage-pools")


@operation("storage.volume_resize", label="Resize volume")
def resize_volume(op, report):
    params = op.params
    with host_connection(op, report, f"Resizing volume {params['volume']}") as conn:
        storage.resize_volume(conn, params["pool"], params["volume"], params["bytes"])
    return reread_host(op, report, page="storage-pools")


@operation("storage.volume_delete", label="Delete volume")
def delete_volume(op, report):
    with host_connection(op, report, f"Deleting volume {op.params['volume']}") as conn:
        path, _format = storage.volume_file(conn, op.params["pool"], op.params["volume"])
        _refuse(volume_refusal(read_host_files(conn), path, op.params["volume"]))
        storage.delete_volume(conn, op.params["pool"], op.params["volume"])
    return reread_host(op, report, page="storage-pools")


@operation("storage.volume_upload", label="Upload into volume", timeout=3600, stoppable=True, queue=BULK)
def upload_volume(op, report):
    """Stream the uploaded file into an existing volume, or a new raw one of the file's size."""
    params, token = op.params, op.params["upload"]
    try:
        with host_connection(op, report, f"Uploading into {params['volume']}") as conn:
            size = transfers.size(token)
            if params.get("create"):
                storage.create_volume(conn, params["pool"], name=params["volume"], capacity=max(size, 1), fmt="raw")
            try:
                progress = transfer_progress(report, "Sent", start=15, end=90)
                with transfers.open_file(token) as source:
                    storage.upload_volume(conn, params["pool"], params["volume"], source, size, progress)
            except VirtError:
                if params.get("create"):  # do not leave an empty new volume behind
                    storage.delete_volume(conn, params["pool"], params["volume"])
                raise
    finally:
        transfers.discard(token)
    return reread_host(op, report, page="storage-pools")


@operation("storage.volume_download", label="Download volume", timeout=3600, stoppable=True, queue=BULK)
def download_volume(op, report):
    """Stream the volume into a private transfer file; the result links to the download view."""
    params = op.params
    transfers.sweep()
    with host_connection(op, report, f"Downloading {params['volume']}") as conn, transfers.receiving() as (token, file):
        progress = transfer_progress(report, "Received", start=15, end=90)
        size = storage.download_volume(conn, params["pool"], params["volume"], file, progress)
    host_pk = int(op.target_id)
    return {
        "url": reverse("storage-download", kwargs={"host_pk": host_pk, "op_pk": op.pk}),
        "link_text": f"Download {params['volume']}",
        "file": token,
        "filename": params["volume"],
        "bytes": size,
    }
