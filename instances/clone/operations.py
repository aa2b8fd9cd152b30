"""Clone a shut-off instance, onto its host or another: its disks copied through libvirt's storage
streams under the clone's names (an overlay onto the destination's cached base), a fresh config
drive, and a new instance — new name, UUID and MACs — defined there, shut off."""

import functools
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import close_old_connections
from django.urls import reverse

from hosts.connections import pool
from hosts.models import Host
from instances.build.operations import config_drive, forget_or_hold
from instances.images.cache import cache_image
from instances.migration.operations import connected, destination_of
from instances.models import Instance, InstanceState
from instances.operation_support import Context, on_instance, record_state, require_state
from jobs.models import Operation
from jobs.progress import transfer_progress
from jobs.registry import BULK, OperationFailed, operation
from live.broadcast import broadcast
from virt import clone, firewall, images, migration, migration_storage
from virt.errors import NotFound
from virt.guest import Guest


@operation("instance.clone", label="Clone instance", timeout=3 * 3600, stoppable=True, queue=BULK)
def clone_instance(op, report):
    dest, name = destination_of(op), str(op.params.get("name", ""))
    with on_instance(op, report, f"Cloning into {name} on {dest}") as ctx:
        require_state(ctx, "clone")
        if Instance.objects.filter(host=dest, name=name).exists():
            raise OperationFailed(f"An instance named {name} already exists on {dest}.")
        if dest.pk == ctx.instance.host_id:
            return _clone(op, report, ctx, dest, ctx.conn, name)
        with connected(dest) as dest_conn:
            return _clone(op, report, ctx, dest, dest_conn, name)


def _clone(op, report, ctx: Context, dest: Host, dest_conn, name: str) -> dict:
    source, xml = ctx.instance, ctx.guest.xml(secure=True, inactive=True)
    made = Instance.objects.create(host=dest, uuid=uuid.uuid4(), name=name, state=InstanceState.BUILDING,
                                   vcpus=source.vcpus, memory_mib=source.memory_mib, flavor=source.flavor,
                                   image=source.image)  # fmt: skip
    broadcast("instances", {"id": "all", "host_id": dest.pk})
    Operation.objects.filter(pk=op.pk).update(result={"clone": made.pk})  # for the reaper: recover_clone
    new_uuid, copies, own_filter = str(made.uuid), migration_storage.DiskMove(), ""
    try:
        images.ensure_pool(dest_conn, settings.INSTANCE_POOL_NAME, settings.INSTANCE_POOL_PATH)
        if source.image is not None:
            cache_image(dest_conn, dest, source.image, report)  # the base its overlay is copied onto
        drive = next((disk.path for disk in migration.file_disks(xml)
                      if PurePosixPath(disk.path).name == f"{source.uuid}-config.iso"), "")  # fmt: skip

        copying = transfer_progress(report, "Copying disks:", start=20, end=85)
        folders = {disk.folder for disk in migration.file_disks(xml)}
        renamed = functools.partial(clone.renamed, old_uuid=str(source.uuid), new_uuid=new_uuid)
        copies = migration_storage.prepare_disks(ctx.conn, dest_conn, xml, folders, dest.name, copy_all=True,
                                                 progress=copying, rename=renamed, skip=(drive,))  # fmt: skip
        if drive:  # its own config drive: the clone's hostname and instance id
            pool = migration.pool_at(dest_conn, str(PurePosixPath(drive).parent)).name()
            written = images.write_volume(dest_conn, pool, PurePosixPath(clone.renamed(drive, str(source.uuid),
                                                                                       new_uuid)).name,
                                          config_drive(op, made))  # fmt: skip
            copies.made.append(written)
            copies.paths[drive] = written
        own_filter = clone.clone_filter(ctx.conn, dest_conn, str(source.uuid), new_uuid)
        report(90, f"Defining {name} on {dest}")
        guest = Guest.define(dest_conn, clone.cloned_definition(xml, name=name, new_uuid=new_uuid, paths=copies.paths,
                                                                console_address=dest.console_host))  # fmt: skip
    except BaseException:
        close_old_connections()
        _remove(dest_conn, made, copies.made, own_filter)
        raise
    Instance.objects.filter(pk=made.pk, state=InstanceState.BUILDING).update(state=InstanceState.UNKNOWN)
    record_state(Context(instance=Instance.objects.get(pk=made.pk), conn=dest_conn, guest=guest))
    return {"message": f"Cloned into {name} on {dest} (shut off)", "url": reverse("instance-detail", args=[made.pk]),
            "link_text": name}  # fmt: skip


def _remove(conn, made: Instance, paths: list[str], own_filter: str) -> None:
    """A failed clone leaves nothing: its domain, volumes, filter and row go."""
    try:
        Guest.lookup(conn, str(made.uuid)).undefine()
    except NotFound:
        pass
    migration_storage.remove_paths(conn, paths)
    if own_filter:
        firewall.remove_instance_filter(conn, str(made.uuid))
    Instance.objects.filter(pk=made.pk).delete()
    broadcast("instances", {"id": "all", "host_id": made.host_id})


def recover_clone(op) -> str:
    """For the reaper: the half-made clone of a clone whose worker died is removed ("" when none)."""
    made = Instance.objects.select_related("host").filter(pk=(op.result or {}).get("clone"),
                                                          state=InstanceState.BUILDING).first()  # fmt: skip
    if made is None:
        return ""
    with pool().connection(made.host.uri, made.host.credentials()) as conn:
        return f"the unfinished clone {made}: {forget_or_hold(made, conn, doing='Removing the unfinished clone')}; "
