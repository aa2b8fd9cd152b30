"""Storage pages: they read Host.inventory only; every change becomes an operation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.forms import posted, posted_with_files
from config.lookups import item_or_404
from hosts.access import get_host_for_user
from instances.device_stats import volume_usage
from jobs.models import Operation, OperationStatus
from jobs.services import start_from_page
from storage import transfers
from storage.forms import PoolForm, ResizeForm, UploadForm, VolumeForm
from storage.usage import needs, pool_refusal, recorded_files, volume_refusal


def _pools(host) -> list[dict]:
    return (host.inventory or {}).get("pools", [])


def _pool_or_404(host, name: str) -> dict:
    return item_or_404(_pools(host), lambda pool: pool["name"] == name, f"No storage pool {name} on {host.name}.")


def _volume_or_404(pool: dict, name: str) -> dict:
    message = f"No volume {name} in pool {pool['name']}."
    return item_or_404(pool.get("volumes", []), lambda volume: volume["name"] == name, message)


def _back(host):
    return redirect("storage-pools", host_pk=host.pk)


def _form_page(request, host, form, *, title: str, submit: str, pool=None, multipart=False):
    context = {"host": host, "form": form, "title": title, "submit": submit, "pool": pool, "multipart": multipart}
    return render(request, "storage/form.html", context)


def _confirm_page(request, host, *, title: str, text: str, submit: str, delete_dir=False, refused=None):
    context = {"host": host, "title": title, "text": text, "submit": submit, "delete_dir": delete_dir,
               "refused": refused}  # fmt: skip
    return render(request, "storage/confirm.html", context)


def _refused(request, host, reason: str):
    """A delete the page already knows would be refused: nothing is queued."""
    messages.error(request, reason)
    return _back(host)


@require_GET
@login_required
def pool_list(request, host_pk: int):
    host = get_host_for_user(request, host_pk, "view")
    pools, stats, files = _pools(host), volume_usage(host), recorded_files(host)
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
    form = PoolForm(posted(request), taken=[pool["name"] for pool in _pools(host)])
    if request.method == "POST" and form.is_valid():
        if response := start_from_page(request, kind="storage.pool_define", target=host, params=form.cleaned_data):
            return response
    return _form_page(request, host, form, title=f"New directory pool on {host.name}", submit="Define pool")


@require_POST
@login_required
def pool_start(request, host_pk: int, pool: str):
    host = get_host_for_user(request, host_pk, "change")
    name = _pool_or_404(host, pool)["name"]
    return start_from_page(request, kind="storage.pool_start", target=host, params={"pool": name}) or _back(host)


@require_POST
@login_required
def pool_stop(request, host_pk: int, pool: str):
    host = get_host_for_user(request, host_pk, "change")
    name = _pool_or_404(host, pool)["name"]
    return start_from_page(request, kind="storage.pool_stop", target=host, params={"pool": name}) or _back(host)


@require_http_methods(["GET", "POST"])
@login_required
def pool_delete(request, host_pk: int, pool: str):
    host = get_host_for_user(request, host_pk, "change")
    found = _pool_or_404(host, pool)
    refused = pool_refusal(recorded_files(host), found["name"])
    if request.method == "POST":
        if refused:
            return _refused(request, host, refused)
        params = {"pool": found["name"], "delete_dir": request.POST.get("delete_dir") == "on"}
        return start_from_page(request, kind="storage.pool_delete", target=host, params=params) or _back(host)
    text = f"Pool {found['name']} is stopped and forgotten by libvirt. Its volumes stay on disk unless you remove them."
    return _confirm_page(request, host, title=f"Delete pool {found['name']}?", text=text, submit="Delete pool",
                         delete_dir=found["path"], refused=refused)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def volume_create(request, host_pk: int, pool: str):
    host = get_host_for_user(request, host_pk, "change")
    found = _pool_or_404(host, pool)
    form = VolumeForm(posted(request), taken=[volume["name"] for volume in found.get("volumes", [])])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        params = {"pool": found["name"], "name": data["name"], "bytes": data["bytes"], "format": data["format"]}
        if response := start_from_page(request, kind="storage.volume_create", target=host, params=params):
            return response
    return _form_page(request, host, form, title=f"New volume in {found['name']}", submit="Create volume", pool=found)


@require_http_methods(["GET", "POST"])
@login_required
def volume_resize(request, host_pk: int, pool: str, volume: str):
    host = get_host_for_user(request, host_pk, "change")
    found = _pool_or_404(host, pool)
    vol = _volume_or_404(found, volume)
    form = ResizeForm(posted(request), current=vol["capacity"])
    if request.method == "POST" and form.is_valid():
        params = {"pool": found["name"], "volume": vol["name"], "bytes": form.cleaned_data["bytes"]}
        if response := start_from_page(request, kind="storage.volume_resize", target=host, params=params):
            return response
    return _form_page(request, host, form, title=f"Grow volume {vol['name']}", submit="Resize", pool=found)


@require_http_methods(["GET", "POST"])
@login_required
def volume_delete(request, host_pk: int, pool: str, volume: str):
    host = get_host_for_user(request, host_pk, "change")
    found = _pool_or_404(host, pool)
    vol = _volume_or_404(found, volume)
    refused = volume_refusal(recorded_files(host), vol["path"], vol["name"])
    if request.method == "POST":
        if refused:
            return _refused(request, host, refused)
        params = {"pool": found["name"], "volume": vol["name"]}
        return start_from_page(request, kind="storage.volume_delete", target=host, params=params) or _back(host)
    text = f"The volume {vol['name']} ({vol['path']}) and all data on it are removed for good."
    return _confirm_page(request, host, title=f"Delete volume {vol['name']}?", text=text, submit="Delete volume",
                         refused=refused)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def volume_upload(request, host_pk: int, pool: str):
    host = get_host_for_user(request, host_pk, "change")
    found = _pool_or_404(host, pool)
    form = UploadForm(*posted_with_files(request), volumes=found.get("volumes", []))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        token = transfers.save_upload(data["file"])
        params = {"pool": found["name"], "volume": data["volume"] or data["name"], "create": not data["volume"],
                  "upload": token}  # fmt: skip
        if response := start_from_page(request, kind="storage.volume_upload", target=host, params=params):
            return response
        transfers.discard(token)
    title = f"Upload a file into {found['name']}"
    return _form_page(request, host, form, title=title, submit="Upload", pool=found, multipart=True)


@require_POST
@login_required
def volume_download(request, host_pk: int, pool: str, volume: str):
    """A disk's bytes are as sensitive as changing it: starting a download needs the change right."""
    host = get_host_for_user(request, host_pk, "change")
    found = _pool_or_404(host, pool)
    vol = _volume_or_404(found, volume)
    params = {"pool": found["name"], "volume": vol["name"]}
    return start_from_page(request, kind="storage.volume_download", target=host, params=params) or _back(host)


@require_GET
@login_required
def download(request, host_pk: int, op_pk: int):
    """The file a finished download operation of this user fetched; served once, then removed."""
    host = get_host_for_user(request, host_pk, "view")
    op = get_object_or_404(
        Operation, pk=op_pk, kind="storage.volume_download", target_type="host", target_id=str(host.pk)
    )
    if op.user_id != request.user.pk:
        raise PermissionDenied("Only who asked for this download may fetch it.")
    if op.status != OperationStatus.SUCCEEDED:
        raise Http404("This download is not ready.")
    try:
        path = transfers.path_for(op.result.get("file", ""))
        file = open(path, "rb")  # FileResponse closes it
    except (ValueError, FileNotFoundError):
        raise Http404("This download was fetched already or has expired: download the volume again.") from None
    path.unlink()  # the open file stays readable; nothing is left on disk afterwards
    return FileResponse(file, as_attachment=True, filename=op.result.get("filename") or "volume")
