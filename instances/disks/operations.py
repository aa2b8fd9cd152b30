"""Disk operations on the worker: attach a pool volume, detach it (waiting for the guest), grow
a disk, swap the volume under a running disk, CD-ROM media. Each takes the instance's lock and
writes the new definition back to the inventory when it is done."""

from instances.operation_support import done, on_instance, unplug
from jobs.registry import BULK, operation
from virt.guest import Guest
from virt.storage import volume_file


def _volume(ctx, params: dict) -> tuple[str, str]:
    return volume_file(ctx.conn, params["pool"], params["volume"])


@operation("instance.attach_volume", label="Attach volume")
def attach(op, report):
    params = op.params
    with on_instance(op, report, f"Attaching {params['volume']}") as ctx:
        path, fmt = _volume(ctx, params)
        report(30, f"Attaching {path}")
        target = ctx.guest.attach_disk(source=path, fmt=fmt, bus=params.get("bus", "virtio"),
                                       target=params.get("target", ""))  # fmt: skip
        return {**done(ctx, report), "message": f"Attached {params['volume']} as {target}", "target": target}


@operation("instance.detach_volume", label="Detach volume", stoppable=True)
def detach(op, report):
    return unplug(op, report, op.params["target"], Guest.detach_disk)


@operation("instance.grow_disk", label="Grow disk")
def grow(op, report):
    target, capacity = op.params["target"], int(op.params["capacity"])
    with on_instance(op, report, f"Growing {target}") as ctx:
        ctx.guest.grow_disk(target, capacity)
        return {**done(ctx, report), "message": f"{target} grown to {capacity} bytes"}


@operation("instance.swap_volume", label="Swap volume", timeout=3600, stoppable=True, queue=BULK)
def swap(op, report):
    target, params = op.params["target"], op.params
    with on_instance(op, report, f"Swapping the volume of {target}") as ctx:
        path, fmt = _volume(ctx, params)

        def copied(current: int, end: int) -> None:
            report(10 + int(80 * current / end) if end else 10, f"Copying {target} to {params['volume']}")

        ctx.guest.swap_disk(target, source=path, fmt=fmt, progress=copied)
        return {**done(ctx, report), "message": f"{target} now runs on {params['volume']}"}


@operation("instance.change_media", label="Change CD-ROM")
def media(op, report):
    target, params = op.params["target"], op.params
    with on_instance(op, report, f"Changing the medium in {target}") as ctx:
        if params.get("volume"):
            path, _fmt = _volume(ctx, params)
            ctx.guest.change_media(target, path)
            message = f"{params['volume']} inserted in {target}"
        else:
            ctx.guest.change_media(target, "")
            message = f"{target} ejected"
        return {**done(ctx, report), "message": message}
