"""Storage pages: they read Host.inventory only; every change becomes an operation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.forms import posted, posted_with_files
from hosts.access import get_host_for_user
from instances.device_stats import volume_usage
from jobs.models import Operation, OperationStatus
from jobs.services import start_from_page
from storage import transfers
from storage.forms import UploadForm
from storage.host_operations import STORAGE_OPERATIONS, find_pool, find_volume, upload_params
from storage.host_operations import pools as storage_pools
from storage.usage import needs, recorded_files


def _back(host):
    return redirect("storage-pools", host_pk=host.pk)


def _form_page(request, host, form, *, title: str, submit: str, pool=None, multipart=False):
    context = {"host": host, "form": form, "title": title, "submit": submit, "pool": pool, "multipart": multipart}
    return render(request, "storage/form.html", context)


def _confirm_page(request, host, *, title: str, text: str, submit: str, delete_dir=False, refused=None):
    context = {"host": host, "title": title, "text": text, "submit": submit, "delete_dir": delete_dir,
               "refused": refused}  # fmt: skip
    return render(request, "storage/confirm.html", context)


def _queue(request, host, name: str, found: dict, form=None):
    """Queue the storage operation `name` (STORAGE_OPERATIONS): its page, or None without a worker."""
    operation = STORAGE_OPERATIONS[name]
    return start_from_page(request, kind=operation.kind, target=host, params=operation.params(found, form))


def _refused(request, host, reason: str):
    """A delete the page already knows would be refused: nothing is queued."""
    messages.error(request, reason)
    return _back(host)


@require_GET
@login_required
def pool_list(request, host_pk: int):
    host = get_host_for_user(request, host_pk, "view")
    pools, stats, files = storage_pools(host), volume_usage(host), recorded_files(host)
    instances = {row.name: row for row in host.instances.only("pk", "name")}
    for pool in pools:
        for volume in pool.get("volumes", []):
            volume["used_by"] = stats.get(volume.get("path"))
            volume["needs"] = [
                {"backs": need.backs, "instances": [instances[name] for name in need.domains if name in instances]}
                for need in needs(files, volume.get("path", ""))
            ]
    return render(request, "storage/pool_list.html", {"host": host, "pools": pools})


@require_http_methods(["GET", "POST"])
@login_required
def pool_define(request, host_pk: int):
    host = get_host_for_user(request, host_pk, "change")
    form = STORAGE_OPERATIONS["pool-define"].form_for(posted(request), host, {})
    if request.method == "POST" and form.is_valid():
        if response := _queue(request, host, "pool-define", {}, form):
            return response
    return _form_page(request, host, form, title=f"New directory pool on {host.name}", submit="Define pool")


@require_POST
@login_required
def pool_start(request, host_pk: int, pool: str):
    host = get_host_for_user(request, host_pk, "change")
    return _queue(request, host, "pool-start", find_pool(host, pool)) or _back(host)


@require_POST
@login_required
def pool_stop(request, host_pk: int, pool: str):
    host = get_host_for_user(request, host_pk, "change")
    return _queue(request, host, "pool-stop", find_pool(host, pool)) or _back(host)


@require_http_methods(["GET", "POST"])
@login_required
def pool_delete(request, host_pk: int, pool: str):
    host = get_host_for_user(request, host_pk, "change")
    found, operation = find_pool(host, pool), STORAGE_OPERATIONS["pool-delete"]
    refused = operation.refused(host, found)
    if request.method == "POST":
        if refused:
            return _refused(request, host, refused)
        form = operation.form_for(request.POST, host, found)
        form.is_valid()  # a checkbox: always valid
        return _queue(request, host, "pool-delete", found, form) or _back(host)
    name = found["pool"]["name"]
    text = f"Pool {name} is stopped and forgotten by libvirt. Its volumes stay on disk unless you remove them."
    return _confirm_page(request, host, title=f"Delete pool {name}?", text=text, submit="Delete pool",
                         delete_dir=found["pool"]["path"], refused=refused)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def volume_create(request, host_pk: int, pool: str):
    host = get_host_for_user(request, host_pk, "change")
    found = find_pool(host, pool)
    form = STORAGE_OPERATIONS["volume-create"].form_for(posted(request), host, found)
    if request.method == "POST" and form.is_valid():
        if response := _queue(request, host, "volume-create", found, form):
            return response
    return _form_page(request, host, form, title=f"New volume in {found['pool']['name']}", submit="Create volume",
                      pool=found["pool"])  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def volume_resize(request, host_pk: int, pool: str, volume: str):
    host = get_host_for_user(request, host_pk, "change")
    found = find_volume(host, pool, volume)
    form = STORAGE_OPERATIONS["volume-resize"].form_for(posted(request), host, found)
    if request.method == "POST" and form.is_valid():
        if response := _queue(request, host, "volume-resize", found, form):
            return response
    return _form_page(request, host, form, title=f"Grow volume {found['volume']['name']}", submit="Resize",
                      pool=found["pool"])  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def volume_delete(request, host_pk: int, pool: str, volume: str):
    host = get_host_for_user(request, host_pk, "change")
    found = find_volume(host, pool, volume)
    refused = STORAGE_OPERATIONS["volume-delete"].refused(host, found)
    if request.method == "POST":
        if refused:
            return _refused(request, host, refused)
        return _queue(request, host, "volume-delete", found) or _back(host)
    vol = found["volume"]
    text = f"The volume {vol['name']} ({vol['path']}) and all data on it are removed for good."
    return _confirm_page(request, host, title=f"Delete volume {vol['name']}?", text=text, submit="Delete volume",
                         refused=refused)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def volume_upload(request, host_pk: int, pool: str):
    host = get_host_for_user(request, host_pk, "change")
    found = find_pool(host, pool)["pool"]
    form = UploadForm(*posted_with_files(request), volumes=found.get("volumes", []))
    if request.method == "POST" and form.is_valid():
        params = upload_params(found, form)
        if response := start_from_page(request, kind="storage.volume_upload", target=host, params=params):
            return response
        transfers.discard(params["upload"])
    title = f"Upload a file into {found['name']}"
    return _form_page(request, host, form, title=title, submit="Upload", pool=found, multipart=True)


@require_POST
@login_required
def volume_download(request, host_pk: int, pool: str, volume: str):
    """A disk's bytes are as sensitive as changing it: starting a download needs the change right."""
    host = get_host_for_user(request, host_pk, "change")
    return _queue(request, host, "volume-download", find_volume(host, pool, volume)) or _back(host)


@require_GET
@login_required
def download(request, host_pk: int, op_pk: int):
    return downloaded_volume(request, host_pk, op_pk)


def downloaded_volume(request, host_pk: int, op_pk: int) -> FileResponse:
    """The file a finished download operation of this user fetched; served once, then removed
    (for the page and the API)."""
    host = get_host_for_user(request, host_pk, "view")
    op = get_object_or_404(
        Operation, pk=op_pk, kind="storage.volume_download", target_type="host", target_id=str(host.pk)
    )
    if op.user_id != request.user.pk:
        raise PermissionDenied("Only who asked for this download may fetch it.")
    if op.status != OperationStatus.SUCCEEDED:
        raise Http404("This download is not ready.")
    token = op.result.get("file", "")
    try:
        file = transfers.open_file(token)  # FileResponse closes it
    except (ValueError, FileNotFoundError):
        raise Http404("This download was fetched already or has expired: download the volume again.") from None
    response = FileResponse(file, as_attachment=True, filename=op.result.get("filename") or "volume")
    response.close = _closing_removes(response.close, token)  # served once: nothing is left afterwards
    return response


def _closing_removes(close, token: str):
    def close_then_remove():
        close()
        transfers.discard(token)

    return close_then_remove
