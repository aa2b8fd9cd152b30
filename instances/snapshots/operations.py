"""Snapshot operations on the worker: internal snapshots (create, revert, delete), external disk
snapshots (an overlay, removed again by block commit) and snapshot → image. Each takes the
instance's lock; done() re-reads the instance, snapshot tree included (libvirt sends no event
for snapshots)."""

import uuid

from django.conf import settings
from django.db import IntegrityError

from instances.actions import MEMORY_STATES
from instances.images import files as image_files
from instances.images.cache import cache_image
from instances.models import DiskFormat, Image
from instances.operation_support import done, on_instance
from jobs.models import Operation
from jobs.progress import transfer_progress
from jobs.registry import BULK, OperationFailed, operation
from virt import images
from virt.stopping import Stopped
from virt.storage import download_volume


@operation("instance.snapshot_create", label="Create snapshot")
def create(op, report):
    name = op.params["name"]
    with on_instance(op, report, f"Creating snapshot {name}") as ctx:
        running = ctx.guest.state() in MEMORY_STATES
        report(20, "Saving the disks and the memory" if running else "Saving the disks")
        ctx.guest.create_snapshot(name, op.params.get("description", ""))
        return {**done(ctx, report), "message": f"Snapshot {name} created" + (" with memory" if running else "")}


@operation("instance.snapshot_revert", label="Revert to snapshot")
def revert(op, report):
    name = op.params["name"]
    with on_instance(op, report, f"Reverting to snapshot {name}") as ctx:
        report(20, f"Restoring the disks{' and memory' if ctx.guest.is_active() else ''} of {name}")
        ctx.guest.revert_to_snapshot(name)
        return {**done(ctx, report), "message": f"Reverted to {name}"}


@operation("instance.snapshot_delete", label="Delete snapshot")
def delete(op, report):
    name, children = op.params["name"], bool(op.params.get("children"))
    with on_instance(op, report, f"Deleting snapshot {name}") as ctx:
        ctx.guest.delete_snapshot(name, children=children)
        return {**done(ctx, report), "message": f"Deleted {name}" + (" and its children" if children else "")}


@operation("instance.disk_snapshot", label="Disk snapshot")
def disk_snapshot(op, report):
    target, name = op.params["target"], op.params["name"]
    with on_instance(op, report, f"Snapshotting {target}") as ctx:
        report(20, f"Creating an overlay on {target}")
        overlay = ctx.guest.snapshot_disk(target, name)
        return {**done(ctx, report), "message": f"{target} now writes to {overlay}", "overlay": overlay}


@operation("instance.disk_commit", label="Commit disk snapshot", timeout=3600, stoppable=True, queue=BULK)
def disk_commit(op, report):
    target = op.params["target"]
    with on_instance(op, report, f"Committing the snapshot of {target}") as ctx:
        progress = transfer_progress(report, f"Merging the overlay of {target}:", start=10, end=90)
        overlay = ctx.guest.commit_disk_snapshot(target, progress=progress)
        return {**done(ctx, report), "message": f"{target} committed; {overlay} removed"}


@operation("instance.snapshot_to_image", label="Snapshot to image", timeout=3600, stoppable=True, queue=BULK)
def to_image(op, report):
    """A new image from what a disk holds now. Image files live on the console's machine, so the
    disk is copied (flattened) into a temporary volume on the host, downloaded into the file storage,
    and added to this host's image cache the usual way (cache_image: checksum-named volume +
    CachedImage), so spawn uses it here at once and copies it to other hosts like any image.
    Kernel, initrd and command line come from the instance's image."""
    name, target = op.params["name"], op.params.get("target", "vda")
    with on_instance(op, report, f"Making image {name} from {target}") as ctx:
        if Image.objects.filter(name=name).exists():
            raise OperationFailed(f"An image named {name} already exists.")
        temporary = export_volume(ctx.instance)
        pool = settings.INSTANCE_POOL_NAME
        images.ensure_pool(ctx.conn, pool, settings.INSTANCE_POOL_PATH)
        images.delete_named(ctx.conn, pool, [temporary])  # left by an interrupted export
        copying = transfer_progress(report, f"Copying {target}:", start=10, end=40)
        relative = f"images/{uuid.uuid4().hex}-{name}.qcow2"
        # Where the copy is going, for the reaper to remove if this worker dies half-way.
        Operation.objects.filter(pk=op.pk).update(result={"partial": relative})
        try:
            ctx.guest.export_disk(target, pool_name=pool, name=temporary, progress=copying)
            with image_files.receiving(relative) as received:
                download_volume(ctx.conn, pool, temporary, received.file, transfer_progress(
                    report, "Saving the image:", start=40, end=70))  # fmt: skip
        except Stopped as stopped:
            raise Stopped(f"{stopped}; the partial copy was removed and no image was made") from None
        finally:
            images.delete_named(ctx.conn, pool, [temporary])
        image = _image(name, received.name, ctx.instance.image)
        report(75, f"Adding {name} to the image cache of {ctx.instance.host}")
        cache_image(ctx.conn, ctx.instance.host, image)
        return {**done(ctx, report), "message": f"Image {name} made from {target}", "image_id": image.pk}


def export_volume(instance) -> str:
    """The temporary volume a disk is copied into on its way to becoming an image."""
    return f"{instance.uuid}-export.qcow2"


def _image(name: str, relative: str, source: Image | None) -> Image:
    image = Image(name=name, disk_format=DiskFormat.QCOW2, cmdline=source.cmdline if source else "")
    image.disk.name = relative
    if source is not None:
        image.kernel.name, image.initrd.name = source.kernel.name, source.initrd.name
    try:
        image.save()
    except IntegrityError:
        image_files.delete([relative])
        raise OperationFailed(f"An image named {name} already exists.") from None
    return image
