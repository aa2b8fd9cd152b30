"""Resize and cold migration (Nova's migrate_disk_and_power_off and finish_migration): the guest is
powered off, its disks copied to the destination through libvirt's storage streams (or, where it
keeps its storage, set aside for a revert), it is defined there with the new flavor (root disk
grown) and started if it ran. It then waits for Confirm or Revert (instances.resize.settle)."""

import dataclasses
import time

from django.conf import settings
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone

from hosts.credentials import encrypt
from hosts.models import Host
from instances.images.cache import cache_image
from instances.lifecycle.operations import power_off_for
from instances.migration.operations import (
    checks_against,
    connected,
    destination_of,
    hold_migrating,
    move_row,
    preparing,
    release,
)
from instances.models import Flavor, Instance, InstanceState
from instances.operation_support import Context, boot, done, on_instance, require_state
from instances.resize import settle
from jobs.models import Operation
from jobs.progress import transfer_progress
from jobs.registry import BULK, OperationFailed, operation
from virt import images, migration, migration_storage, resize
from virt.errors import InvalidOperation
from virt.guest import Guest
from virt.migration_checks import guest_needs
from virt.policy import PolicyError, room

GIB = 1024**3
MIB = 1024**2


@operation("instance.resize", label="Resize instance", timeout=3 * 3600, stoppable=True, queue=BULK)
def resize_instance(op, report):
    flavor = Flavor.objects.filter(pk=op.params.get("flavor")).first()
    if flavor is None:
        raise OperationFailed("The flavor was removed.")
    dest = destination_of(op)

    def remember(record: dict) -> None:  # for the reaper (instances.recovery), should the worker die
        Operation.objects.filter(pk=op.pk).update(result={"resize": record})

    with on_instance(op, report, f"Checking the resize to {flavor.name} on {dest}") as ctx:
        require_state(ctx, "resize")
        if dest.pk == ctx.instance.host_id:
            return _resize(ctx, report, flavor, dest, ctx.conn, remember, op.params)
        with connected(dest) as dest_conn:
            return _resize(ctx, report, flavor, dest, dest_conn, remember, op.params)


def _checks(ctx: Context, flavor: Flavor, dest: Host, dest_conn, xml: str) -> list[str]:
    """Every reason the resize cannot happen, read live."""
    instance, same_host = ctx.instance, dest.pk == ctx.instance.host_id
    if instance.resizing:
        return [f"{instance} waits for Confirm or Revert of its last resize."]
    if instance.rescued:
        return [f"{instance} is rescued: unrescue it first."]
    if same_host and instance.flavor_id == flavor.pk:
        return ["Nothing would change: choose another flavor or another host."]
    found = []
    try:
        resized(xml, flavor, dest)  # what it will be defined as: refused now, before anything is touched
    except (PolicyError, InvalidOperation) as error:
        found.append(str(error) if isinstance(error, InvalidOperation) else f"The flavor {flavor.name} does not fit: "
                     f"{error}.")  # fmt: skip
    root = resize.root_disk(xml)
    capacity = images.capacity_of(ctx.conn, root) if root else 0
    if flavor.disk_gib * GIB < capacity:
        found.append(f"The flavor {flavor.name} has a {flavor.disk_gib} GiB root disk, smaller than the instance's "
                     f"{capacity / GIB:g} GiB: a disk never shrinks.")  # fmt: skip
    if not same_host:
        needs = dataclasses.replace(guest_needs(xml), vcpus=flavor.vcpus, memory_mib=flavor.memory_mib)
        found += checks_against(ctx, dest, dest_conn, xml, needs)
        if ctx.guest.snapshot_count():
            found.append(f"{instance} has snapshots, which cannot follow it to another host: delete them first.")
    return found


def resized(xml: str, flavor: Flavor, dest: Host) -> str:
    """The guest's definition at `flavor`'s size, with the room to grow the flavor gives (its extra
    specs lvc:max_vcpus, lvc:max_memory_mib), for `dest`."""
    specs = flavor.extra_specs or {}
    return resize.resized_definition(xml, vcpus=flavor.vcpus, memory_mib=flavor.memory_mib,
                                     max_vcpus=room(specs, "lvc:max_vcpus", flavor.vcpus),
                                     max_memory_mib=room(specs, "lvc:max_memory_mib", flavor.memory_mib),
                                     console_address=dest.console_host)  # fmt: skip


def _resize(ctx: Context, report, flavor: Flavor, dest: Host, dest_conn, remember, params: dict) -> dict:
    started = time.monotonic()
    xml = ctx.guest.xml(secure=True, inactive=True)
    same_host = dest.pk == ctx.instance.host_id
    found = _checks(ctx, flavor, dest, dest_conn, xml)
    if found:
        raise OperationFailed(" ".join(found))
    folders = {disk.folder for disk in migration.file_disks(xml) if not disk.media}
    apart: set[str] = set()
    with preparing(dest.pk):  # as a migration: one guest at a time prepares a destination
        if not same_host:
            images.ensure_pool(dest_conn, settings.INSTANCE_POOL_NAME, settings.INSTANCE_POOL_PATH)
            apart = {folder for folder in folders if not migration.storage_is_shared(ctx.conn, dest_conn, folder)}
            found = migration_storage.space_problems(ctx.conn, dest_conn, xml, apart, dest.name)
            if not found and ctx.instance.image is not None:
                cache_image(dest_conn, dest, ctx.instance.image)  # the base an overlay travels onto
            found = found or migration_storage.missing_files(dest_conn, xml, folders, dest.name)
        if found:
            raise OperationFailed(" ".join(found))
    record = {
        "source": ctx.instance.host_id, "destination": dest.pk, "definition": encrypt(xml),
        "was_running": ctx.guest.state() == InstanceState.RUNNING, "flavor": ctx.instance.flavor_id,
        "new_flavor": flavor.pk, "filters": [], "made": [], "moved": [], "keep": [], "aside": [],
    }  # fmt: skip
    down_since = time.monotonic()
    if record["was_running"]:
        power_off_for(ctx, report, params, progress=(15, 25))
    hold_migrating(ctx.instance)
    remember(record)
    try:
        _finish(ctx, report, flavor, dest, dest_conn, xml, apart, record, remember, params)
    except BaseException as error:
        close_old_connections()
        try:
            settle.put_back(ctx.instance, record)
        except Exception as undo_error:  # noqa: BLE001  (the row says so; Revert tries again)
            Instance.objects.filter(pk=ctx.instance.pk).update(state=InstanceState.ERROR, pending_resize=record)
            raise OperationFailed(f"{error} Putting it back failed too ({undo_error}): Revert tries again.") from None
        raise
    record["since"] = timezone.now().isoformat()
    Instance.objects.filter(pk=ctx.instance.pk).update(pending_resize=record, flavor=flavor)
    if same_host:
        release(ctx)
    else:
        move_row(ctx.instance, dest, dest_conn)
    down = time.monotonic() - down_since if record["was_running"] else None
    where = "" if same_host else f" on {dest}"
    return {
        "message": f"Resized to {flavor.name}{where} in {time.monotonic() - started:.1f} s"
        + (f" ({record['copied_bytes'] / MIB:.0f} MiB copied in {record['copy_seconds']:.1f} s)" if apart else "")
        + (f", guest down for {down:.1f} s" if down is not None else "")
        + ": confirm or revert it",
        "copied_bytes": record.get("copied_bytes", 0),
        "copy_seconds": record.get("copy_seconds"),
        "downtime_s": round(down, 3) if down is not None else None,
        "url": reverse("instance-detail", args=[ctx.instance.pk]),
        "link_text": str(ctx.instance),
    }


def _finish(ctx: Context, report, flavor: Flavor, dest: Host, dest_conn, xml: str, apart: set[str], record: dict,
            remember, params: dict) -> None:  # fmt: skip
    """finish_migration: the disks at the destination, the new definition there, started if it ran.
    What is made is in `record` (remembered) before it is made, for put_back."""
    same_host = dest.pk == ctx.instance.host_id
    if not same_host:
        record["filters"] = migration.copy_filters(ctx.conn, dest_conn, xml)
    disks = [disk for disk in migration.file_disks(xml) if disk.folder in apart]
    record["made"] = [disk.path for disk in disks] + migration_storage.logs_in(xml, apart)
    record["keep"] = [disk.path for disk in migration.file_disks(xml) if not disk.media and disk.folder not in apart]
    remember(record)
    if disks:
        copying = transfer_progress(report, "Copying disks:", start=25, end=85)
        bandwidth = int(params.get("bandwidth_mib", settings.RESIZE_BANDWIDTH))
        copy_started = time.monotonic()
        move = migration_storage.prepare_disks(ctx.conn, dest_conn, xml, apart, dest.name, copy_all=True,
                                               progress=copying, bandwidth_mib=bandwidth)  # fmt: skip
        record["moved"] = move.moved + migration_storage.logs_in(xml, apart)
        record["copied_bytes"], record["copy_seconds"] = move.copied_bytes, time.monotonic() - copy_started
    for path in record["keep"]:  # the resized guest writes these files: a copy for a revert
        report(30, f"Keeping a copy of {path} for a revert")
        resize.set_aside(ctx.conn, path)
        record["aside"].append(path)
        remember(record)
    report(86, f"Defining it with {flavor.vcpus} vCPU, {flavor.memory_mib} MiB, {flavor.disk_gib} GiB")
    root = resize.root_disk(xml)
    if root:
        resize.grow(dest_conn, root, flavor.disk_gib * GIB)
    there = Context(instance=ctx.instance, conn=dest_conn, guest=Guest.define(dest_conn, resized(xml, flavor, dest)))
    if record["was_running"]:
        boot(there, report, progress=90)
    if not same_host:
        ctx.guest.undefine(keep_nvram=True)  # its disks stay at the source until Confirm
    ctx.guest = there.guest if same_host else ctx.guest


@operation("instance.confirm_resize", label="Confirm resize")
def confirm_resize(op, report):
    with on_instance(op, report, "Confirming the resize", need_guest=False) as ctx:
        if not ctx.instance.resizing:
            raise OperationFailed(f"{ctx.instance} has no resize waiting for Confirm.")
        report(30, "Deleting what it left where it was before")
        said = settle.confirm(ctx.instance, ctx.instance.pending_resize)
        how = " automatically, after the confirm window" if op.params.get("automatic") else ""
        return {**done(ctx, report), "message": f"Confirmed{how}; {said}"}


@operation("instance.revert_resize", label="Revert resize", timeout=3600)
def revert_resize(op, report):
    with on_instance(op, report, "Reverting the resize", need_guest=False) as ctx:
        if not ctx.instance.resizing:
            raise OperationFailed(f"{ctx.instance} has no resize waiting for Revert.")
        hold_migrating(ctx.instance)
        report(30, "Removing the resized guest and putting the instance back")
        said = settle.put_back(ctx.instance, ctx.instance.pending_resize)
        return {"message": f"Reverted: {said}", "url": reverse("instance-detail", args=[ctx.instance.pk]),
                "link_text": str(ctx.instance)}  # fmt: skip


@operation("instance.grow", label="Grow running instance")
def grow_instance(op, report):
    vcpus, memory_mib = int(op.params["vcpus"]), int(op.params["memory_mib"])
    with on_instance(op, report, f"Growing to {vcpus} vCPU and {memory_mib} MiB") as ctx:
        require_state(ctx, "grow")
        onlined = ctx.guest.grow(vcpus=vcpus, memory_mib=memory_mib)
        how = "; the guest agent brought the vCPUs online" if onlined else ""
        return {**done(ctx, report), "message": f"Now {vcpus} vCPU and {memory_mib} MiB, running and defined{how}"}
