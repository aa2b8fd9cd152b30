"""Rebuild (Nova's rebuild): the same instance — row, name, UUID, flavor, NIC MACs — with a fresh root
disk made from its image or another one, and a fresh config drive; started again if it ran."""

from pathlib import PurePosixPath

from instances.build.operations import config_drive, forget_secrets
from instances.images.cache import cache_image
from instances.lifecycle.operations import power_off_for
from instances.models import Image, Instance, InstanceState
from instances.operation_support import boot, done, on_instance, require_state
from jobs.registry import OperationFailed, operation
from virt import images, migration, rebuild
from virt.guest import Guest

GIB = 1024**3


def _own_disks(instance: Instance, xml: str) -> tuple[str, str]:
    """(root disk, config drive) paths of an instance the console built; OperationFailed otherwise."""
    uuid, disks = str(instance.uuid), migration.file_disks(xml)
    root = next((disk.path for disk in disks if PurePosixPath(disk.path).name == f"{uuid}-disk.qcow2"), "")
    drive = next((disk.path for disk in disks if PurePosixPath(disk.path).name == f"{uuid}-config.iso"), "")
    if not root:
        raise OperationFailed(f"{instance} has no root disk made by the console here: only such an instance can be "
                              "rebuilt.")  # fmt: skip
    return root, drive


@operation("instance.rebuild", label="Rebuild instance", timeout=3600)
def rebuild_instance(op, report):
    image = Image.objects.filter(pk=op.params.get("image")).first()
    if image is None:
        raise OperationFailed("The image was removed.")
    with on_instance(op, report, f"Rebuilding from {image}") as ctx:
        require_state(ctx, "rebuild")
        instance, conn = ctx.instance, ctx.conn
        if instance.flavor is None:
            raise OperationFailed(f"{instance} has no flavor: the size of its new root disk is not known.")
        if ctx.guest.snapshot_count():
            raise OperationFailed(f"{instance} has snapshots of the disk being replaced: delete them first.")
        xml = ctx.guest.xml(secure=True, inactive=True)
        root, drive = _own_disks(instance, xml)
        cached = cache_image(conn, instance.host, image, report)
        if "disk" not in cached:
            raise OperationFailed(f"The image {image} has no disk to rebuild from.")
        was_running = ctx.guest.state() == InstanceState.RUNNING
        if was_running:
            power_off_for(ctx, report, op.params, progress=(45, 60))
        report(65, "Making the root disk anew")
        capacity = max(instance.flavor.disk_gib * GIB, images.capacity_of(conn, cached["disk"]))
        rebuild.replace_root(conn, root, backing=cached["disk"], backing_format=image.disk_format, capacity=capacity)
        if drive:
            report(75, "Writing the config drive anew")
            rebuild.replace_contents(conn, drive, config_drive(op, instance))
        forget_secrets(op)
        definition = rebuild.rebuilt_definition(xml, kernel=cached.get("kernel", ""), initrd=cached.get("initrd", ""),
                                                cmdline=image.cmdline if "kernel" in cached else "")  # fmt: skip
        ctx.guest = Guest.define(conn, definition)
        Instance.objects.filter(pk=instance.pk).update(image=image)
        if was_running:
            boot(ctx, report)
        return {**done(ctx, report), "message": f"Rebuilt from {image}" + (" and started" if was_running else "")}
