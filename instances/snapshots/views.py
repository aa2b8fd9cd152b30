"""Pages of the snapshot operations: a form (or a confirmation) on GET, the operation queued on
POST. Snapshots and overlays are looked up in the inventory (the instance's details)."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_http_methods

from config.forms import posted
from config.lookups import item_or_404
from instances.access import get_instance_for_user
from instances.actions import ACTIONS, MEMORY_STATES
from instances.disks.devices import DISK_OPERATIONS
from instances.operation_pages import operation_page
from instances.snapshots.forms import DeleteSnapshotForm, SnapshotForm
from instances.templatetags.snapshot_tree import epoch


def found(instance, key: str, field: str, value: str) -> dict:
    return item_or_404((instance.details or {}).get(key, []), lambda item: item.get(field) == value,
                       f"{instance} has no snapshot {value}.")  # fmt: skip


def _about(snapshot: dict) -> str:
    """The line about a snapshot on its confirmation pages."""
    taken = epoch(snapshot.get("created"))
    when = f", taken {taken:%Y-%m-%d %H:%M:%S} UTC" if taken else ""
    memory = ", with memory" if snapshot.get("memory") else ""
    description = f": {snapshot['description']}" if snapshot.get("description") else ""
    return f"Snapshot {snapshot['name']}{when} ({snapshot.get('state') or '?'}{memory}){description}."


@require_http_methods(["GET", "POST"])
@login_required
def snapshot_create(request, pk: int):
    instance = get_instance_for_user(request, pk, "change")
    running = instance.state in MEMORY_STATES
    text = ("The disks and the guest's memory are saved: reverting brings the guest back running as it is now."
            if running else "The disks are saved (the guest is not running: no memory).")  # fmt: skip
    form = SnapshotForm(posted(request), instance=instance)
    return operation_page(request, instance, kind="instance.snapshot_create", title=f"Snapshot {instance}",
                          submit="Create", form=form, text=text)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def snapshot_revert(request, pk: int, name: str):
    instance = get_instance_for_user(request, pk, "change")
    snapshot = found(instance, "snapshots", "name", name)
    text = ("Everything written since the snapshot is lost: the disks"
            + (" and the running guest's memory" if snapshot.get("memory") else "")
            + " go back to how they were.")  # fmt: skip
    return operation_page(request, instance, kind="instance.snapshot_revert", title=f"Revert {instance} to {name}?",
                          submit="Revert", form=None, text=text, params={"name": name},
                          subject=_about(snapshot))  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def snapshot_delete(request, pk: int, name: str):
    instance = get_instance_for_user(request, pk, "change")
    snapshot = found(instance, "snapshots", "name", name)
    has_children = any(s.get("parent") == name for s in instance.details.get("snapshots", []))
    form = DeleteSnapshotForm(posted(request)) if has_children else None
    text = "The snapshot's saved state is removed; the instance as it runs now is not changed."
    return operation_page(request, instance, kind="instance.snapshot_delete", title=f"Delete snapshot {name}?",
                          submit="Delete", form=form, text=text, params={"name": name},
                          subject=_about(snapshot))  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def snapshot_image(request, pk: int):
    instance = get_instance_for_user(request, pk, "change")
    text = ("What the disk holds now becomes a new image (kernel and command line from this instance's image), "
            "cached on this host and offered when creating instances.")  # fmt: skip
    form = ACTIONS["snapshot-image"].make_form(posted(request), instance, request.user)
    return operation_page(request, instance, kind="instance.snapshot_to_image", title=f"Image from {instance}",
                          submit="Make image", form=form, text=text)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def disk_snapshot(request, pk: int, target: str):
    instance = get_instance_for_user(request, pk, "change")
    operation = DISK_OPERATIONS["snapshot-disk"]
    disk = operation.device(instance, target)
    text = (f"A new overlay file takes {target}'s writes from now on; its file stays as it is now until the "
            "snapshot is committed (merged back). The guest keeps running.")  # fmt: skip
    return operation_page(request, instance, kind=operation.kind, title=f"Disk snapshot of {target}",
                          submit="Snapshot", form=operation.form_for(posted(request), instance, disk), text=text,
                          params=operation.params(disk))  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def disk_commit(request, pk: int, target: str):
    instance = get_instance_for_user(request, pk, "change")
    operation = DISK_OPERATIONS["commit-disk"]
    overlay = operation.device(instance, target)
    text = (f"What was written to {target} since snapshot {overlay['name']} is merged into {overlay['base']}, "
            f"the guest switches back to it and the overlay {overlay['overlay']} is deleted.")  # fmt: skip
    title = f"Commit the snapshot of {target}?"
    return operation_page(request, instance, kind=operation.kind, title=title, submit="Commit", form=None,
                          text=text, params=operation.params(overlay))  # fmt: skip
