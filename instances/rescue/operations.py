"""Rescue: boot a rescue image with the instance's own disk attached, keeping the original
definition (in the database) so unrescue restores it exactly."""

import logging

from django.conf import settings

from instances.images.cache import cache_image
from instances.models import Image, Instance
from instances.operation_support import boot, done, on_instance
from jobs.registry import OperationFailed, operation
from virt import images
from virt.errors import VirtError
from virt.guest import Guest
from virt.rescue import rescue_definition

log = logging.getLogger(__name__)


def rescue_volume(instance: Instance) -> str:
    return f"{instance.uuid}-rescue.qcow2"


def _rescue_image(op, instance: Instance) -> Image:
    image_id = op.params.get("image_id")
    image = Image.objects.filter(pk=image_id).first() if image_id else instance.image
    if image is None:
        raise OperationFailed("Choose a rescue image: the instance has none of its own.")
    return image


@operation("instance.rescue", label="Rescue instance")
def rescue(op, report):
    with on_instance(op, report, "Preparing the rescue image") as ctx:
        instance = ctx.instance
        if instance.rescued:
            raise OperationFailed(f"{instance} is already rescued.")
        image = _rescue_image(op, instance)
        original = ctx.guest.xml(secure=True, inactive=True)
        Instance.objects.filter(pk=instance.pk).update(rescue_definition=original)  # first, so nothing is lost
        touched = False
        try:
            cached = cache_image(ctx.conn, instance.host, image, report)
            disk = ""
            if "disk" in cached:
                disk = images.create_overlay(
                    ctx.conn, settings.INSTANCE_POOL_NAME, rescue_volume(instance), backing=cached["disk"],
                    backing_format=image.disk_format, capacity=images.capacity_of(ctx.conn, cached["disk"]),
                )  # fmt: skip
            report(60, "Stopping the guest")
            touched = True
            ctx.guest.destroy()
            xml = rescue_definition(original, cached=cached, rescue_disk=disk, cmdline=image.cmdline)
            ctx.guest = Guest.define(ctx.conn, xml)
            boot(ctx, report)
        except BaseException:
            _restore(ctx, original, touched=touched)
            raise
        return {**done(ctx, report), "message": f"Rescued with {image}"}


def _restore(ctx, original: str, *, touched: bool) -> None:
    """A failed rescue puts the original definition back (a guest it had not stopped yet is left
    as it was, running) and removes the rescue disk."""
    try:
        if touched:
            ctx.guest.destroy()
            Guest.define(ctx.conn, original)
        images.delete_named(ctx.conn, settings.INSTANCE_POOL_NAME, [rescue_volume(ctx.instance)])
    except VirtError as error:
        log.error("restoring %s after a failed rescue: %s", ctx.instance, error)
        return
    Instance.objects.filter(pk=ctx.instance.pk).update(rescue_definition="")


@operation("instance.unrescue", label="Unrescue instance")
def unrescue(op, report):
    with on_instance(op, report, "Leaving rescue") as ctx:
        instance = ctx.instance
        if not instance.rescued:
            raise OperationFailed(f"{instance} is not rescued.")
        report(20, "Stopping the rescue guest")
        ctx.guest.destroy()
        report(40, "Restoring the original definition")
        ctx.guest = Guest.define(ctx.conn, instance.rescue_definition)
        images.delete_named(ctx.conn, settings.INSTANCE_POOL_NAME, [rescue_volume(instance)])
        Instance.objects.filter(pk=instance.pk).update(rescue_definition="")
        boot(ctx, report)
        return {**done(ctx, report), "message": "Original definition restored"}
