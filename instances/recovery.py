"""Putting an instance right after the reaper failed its operation (the worker died): its lock is
freed, its state re-read from its host, and a half-built instance removed (or held in state Error
with what is left)."""

from django.conf import settings

from config.redis_client import redis_client
from hosts.connections import pool
from hosts.credentials import UnreadableSecret
from instances.build.operations import forget_or_hold
from instances.clone.operations import recover_clone
from instances.evacuation.operations import recover_evacuation
from instances.images import files as image_files
from instances.inventory import apply_domain
from instances.migration.recovery import recover_drain
from instances.migration.recovery import recover_instance as recover_migration
from instances.models import Instance, InstanceState
from instances.operation_support import lock_key
from instances.resize.settle import RESIZE_KINDS
from instances.resize.settle import recover as recover_resize
from instances.snapshots.operations import export_volume
from jobs.models import Operation
from virt import images
from virt.domains import read_domain, read_domain_details
from virt.errors import NotFound, VirtError
from virt.guest import Guest


def _remove_partial_file(op: Operation) -> None:
    """A file the job was storing (snapshot → image), cut short."""
    image_files.delete([(op.result or {}).get("partial", "")])


def recover_host(op: Operation) -> str:
    """For jobs.reaper, target type host: the guests a host's drain or evacuation was moving."""
    return recover_evacuation(op) if op.kind == "host.evacuate" else recover_drain(op)


def recover(op: Operation) -> str:
    """For jobs.reaper: what was found and done, as a sentence fragment."""
    instance = Instance.objects.select_related("host").filter(pk=op.target_id).first()
    if instance is None:
        return "the instance is gone"
    # The database lets one operation at a time hold an instance, and this one has ended.
    redis_client().delete(lock_key(instance.pk))
    _remove_partial_file(op)
    try:
        cloned = recover_clone(op) if op.kind == "instance.clone" else ""
        conn = pool().get(instance.host.uri, instance.host.credentials())
        if instance.state == InstanceState.MIGRATING and op.kind in RESIZE_KINDS:
            return recover_resize(op, instance)
        if instance.state == InstanceState.MIGRATING:
            return recover_migration(op, instance, conn)
        if instance.state == InstanceState.BUILDING:
            return f"the half-built instance: {forget_or_hold(instance, conn, doing='Removing the unfinished build')}"
        uuid = str(instance.uuid)
        aborted = _abort_block_jobs(conn, uuid)
        images.delete_named(conn, settings.INSTANCE_POOL_NAME, [export_volume(instance)])  # a copy cut short
        record = read_domain(conn, uuid)
        apply_domain(instance.host, uuid, record, read_domain_details(conn, uuid) if record else None)
    except (VirtError, UnreadableSecret) as error:
        return f"its host could not be asked ({error}); the monitor re-reads it when it can"
    instance = Instance.objects.filter(pk=instance.pk).first()
    if instance is None:
        return "the instance is no longer on its host"
    jobs = f"its block job on {', '.join(aborted)} was aborted; " if aborted else ""
    return f"{cloned}{jobs}state re-read from the host: {instance.get_state_display().lower()}"


def _abort_block_jobs(conn, uuid: str) -> list[str]:
    try:
        return Guest.lookup(conn, uuid).abort_block_jobs()
    except NotFound:
        return []
