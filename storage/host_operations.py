"""The storage operations as their pages and the API offer them (see hosts.resource_operations)."""

from config.lookups import item_or_404
from hosts.resource_operations import DeleteDirForm, HostOperation
from storage import transfers
from storage.forms import PoolForm, ResizeForm, VolumeForm
from storage.usage import pool_refusal, recorded_files, volume_refusal


def pools(host) -> list[dict]:
    return (host.inventory or {}).get("pools", [])


def find_pool(host, pool: str) -> dict:
    return {"pool": item_or_404(pools(host), lambda found: found["name"] == pool,
                                f"No storage pool {pool} on {host.name}.")}  # fmt: skip


def find_volume(host, pool: str, volume: str) -> dict:
    found = find_pool(host, pool)["pool"]
    message = f"No volume {volume} in pool {found['name']}."
    return {"pool": found, "volume": item_or_404(found.get("volumes", []), lambda vol: vol["name"] == volume, message)}


def _pool_name(found: dict, _form=None) -> dict:
    return {"pool": found["pool"]["name"]}


def volume_names(found: dict, _form=None) -> dict:
    return {"pool": found["pool"]["name"], "volume": found["volume"]["name"]}


def upload_params(pool: dict, form) -> dict:
    """The params of storage.volume_upload from a valid UploadForm, its file saved to a private
    transfer file first (the caller discards `upload` if the operation is not queued)."""
    data = form.cleaned_data
    return {"pool": pool["name"], "volume": data["volume"] or data["name"], "create": not data["volume"],
            "upload": transfers.save_upload(data["file"])}  # fmt: skip


def _picked(form, *names: str) -> dict:
    return {name: form.cleaned_data[name] for name in names}


STORAGE_OPERATIONS = {
    "pool-define": HostOperation("storage.pool_define", params=lambda found, form: form.cleaned_data,
                                 form=lambda data, host, found: PoolForm(data, taken=[p["name"] for p in pools(host)])),
    "pool-start": HostOperation("storage.pool_start", params=_pool_name, find=find_pool),
    "pool-stop": HostOperation("storage.pool_stop", params=_pool_name, find=find_pool),
    "pool-delete": HostOperation(
        "storage.pool_delete", find=find_pool, form=lambda data, host, found: DeleteDirForm(data),
        params=lambda found, form: {**_pool_name(found), "delete_dir": form.cleaned_data["delete_dir"]},
        refusal=lambda host, found: pool_refusal(recorded_files(host), found["pool"]["name"]),
    ),
    "volume-create": HostOperation(
        "storage.volume_create", find=find_pool,
        form=lambda data, host, found: VolumeForm(data, taken=[v["name"] for v in found["pool"].get("volumes", [])]),
        params=lambda found, form: {**_pool_name(found), **_picked(form, "name", "bytes", "format")},
    ),
    "volume-resize": HostOperation(
        "storage.volume_resize", find=find_volume,
        form=lambda data, host, found: ResizeForm(data, current=found["volume"]["capacity"]),
        params=lambda found, form: {**volume_names(found), "bytes": form.cleaned_data["bytes"]},
    ),
    "volume-download": HostOperation("storage.volume_download", params=volume_names, find=find_volume),
    "volume-delete": HostOperation(
        "storage.volume_delete", params=volume_names, find=find_volume,
        refusal=lambda host, found: volume_refusal(recorded_files(host), found["volume"]["path"],
                                                   found["volume"]["name"]),
    ),
}  # fmt: skip
