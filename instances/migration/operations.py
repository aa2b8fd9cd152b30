"""The live migration job: the checks again on what libvirt says now, the destination prepared (the
image cached there, the network filters defined), the move with its progress, abort and rollback,
and the same row moved to its new host."""

import contextlib
import dataclasses
import logging
import threading
import time

from django.conf import settings
from django.urls import reverse

from accounts.scope import operated_hosts
from hosts.connections import pool
from hosts.credentials import UnreadableSecret
from hosts.models import Host
from instances.images.cache import cache_image
from instances.inventory import apply_domain
from instances.models import Instance, InstanceState
from instances.operation_support import Context, on_instance_id, record_state, require_state
from jobs.models import Operation
from jobs.registry import BULK, OperationFailed, operation
from live.broadcast import broadcast
from virt import images, migration, migration_storage
from virt.domains import read_domain, read_domain_details
from virt.errors import HostUnreachable, VirtError
from virt.migration_checks import GuestNeeds, check, guest_needs

log = logging.getLogger(__name__)
MIB = 1024 * 1024


def tunables(params: dict) -> migration.Tunables:
    """The migration's tunables: the operation's own, else the settings' defaults."""
    return migration.Tunables(
        max_downtime_ms=int(params.get("max_downtime_ms", settings.MIGRATION_MAX_DOWNTIME)),
        bandwidth_mib=int(params.get("bandwidth_mib", settings.MIGRATION_BANDWIDTH)),
        auto_converge=bool(params.get("auto_converge", settings.MIGRATION_AUTO_CONVERGE)),
        post_copy=bool(params.get("post_copy", settings.MIGRATION_POST_COPY)),
        completion_timeout=int(params.get("completion_timeout", settings.MIGRATION_COMPLETION_TIMEOUT)),
    )


def destination_of(op) -> Host:
    """The operation's destination host, still there and still one its user may run instances on."""
    dest = Host.objects.filter(pk=op.params.get("destination")).first()
    if dest is None:
        raise OperationFailed("The destination host was removed.")
    if op.user is None or not operated_hosts(op.user, Host.objects.filter(pk=dest.pk)).exists():
        raise OperationFailed(f"You may not run instances on {dest}.")
    return dest


def progress_of(figures: dict) -> tuple[int, str]:
    """(percent, sentence) of a running migration's figures."""
    total, done = figures.get("data_total", 0), figures.get("data_processed", 0)
    percent = 20 + int(70 * min(done / total, 1)) if total else 20
    page = figures.get("memory_page_size", 4096)
    dirty = figures.get("memory_dirty_rate", 0) * page / MIB
    return percent, (
        f"Copying: {done / MIB:.0f} of {total / MIB:.0f} MiB sent, {figures.get('data_remaining', 0) / MIB:.0f} MiB "
        f"left; pass {figures.get('memory_iteration', 0)}, dirtying {dirty:.1f} MiB/s, "
        f"expected downtime {figures.get('downtime', 0)} ms"
    )


@operation("instance.live_migrate", label="Live-migrate instance", timeout=3 * 3600, stoppable=True, queue=BULK)
def live_migrate(op, report):
    def remember(prepared: dict) -> None:
        Operation.objects.filter(pk=op.pk).update(result=prepared)

    return move(int(op.target_id), destination_of(op), op.params, report, remember=remember)


def move(instance_id: int, dest: Host, params: dict, report, *, remember) -> dict:
    """Live-migrate the instance to `dest` with the tunables in `params`; the job's result.
    `remember(prepared)` keeps what is made at the destination before the move (for the reaper,
    instances.migration.recovery, should the worker die)."""
    with on_instance_id(instance_id, report, f"Checking the move to {dest}") as ctx:
        require_state(ctx, "migrate")
        with connected(dest) as dest_conn:
            return _migrate(params, report, ctx, dest, dest_conn, remember)


@contextlib.contextmanager
def connected(dest: Host):
    """`with connected(dest) as dest_conn:` the destination's connection, or OperationFailed saying
    why there is none."""
    try:
        credentials = dest.credentials()
    except UnreadableSecret as error:
        raise OperationFailed(str(error)) from None
    try:
        pool().get(dest.uri, credentials)  # opened (or taken from the pool) once: does it answer?
    except HostUnreachable as error:
        raise OperationFailed(f"{dest} is down: the guest can only move to a host that answers ({error}).") from None
    with pool().connection(dest.uri, credentials) as dest_conn:
        yield dest_conn


def checks_against(ctx: Context, dest: Host, dest_conn, xml: str, needs: GuestNeeds | None = None) -> list[str]:
    """check_can_live_migrate_source and _destination: every reason the guest (`needs`, else as `xml`
    defines it) cannot move, read live."""
    dest_view = migration.host_view(dest_conn, dest.name)
    maintenance = Host.objects.filter(pk=dest.pk, maintenance=True).exists()
    found = check(
        needs or guest_needs(xml),
        migration.host_view(ctx.conn, ctx.instance.host.name),
        dataclasses.replace(dest_view, maintenance=maintenance),
        memory_ratio=settings.MEMORY_OVERCOMMIT_RATIO,
        cpu_ratio=settings.CPU_OVERCOMMIT_RATIO,
    )
    # The CPU the guest is defined with (libvirt adjusts the running one to what the source gives).
    cpu = migration.cpu_problem(dest_conn, ctx.guest.xml(inactive=True), dest.name) if not found else ""
    return found + ([cpu] if cpu else [])


def _migrate(params: dict, report, ctx: Context, dest: Host, dest_conn, remember) -> dict:
    started = time.monotonic()
    xml = ctx.guest.xml()
    found = checks_against(ctx, dest, dest_conn, xml)
    if found:
        raise OperationFailed(" ".join(found))
    with preparing(dest.pk):  # a drain's guests share the destination's pools and image cache
        images.ensure_pool(dest_conn, settings.INSTANCE_POOL_NAME, settings.INSTANCE_POOL_PATH)
        folders = {disk.folder for disk in migration.file_disks(xml) if not disk.media}
        apart = {folder for folder in folders if not migration.storage_is_shared(ctx.conn, dest_conn, folder)}
        found = migration.page_cached_disks(xml, folders - apart)
        found += migration_storage.space_problems(ctx.conn, dest_conn, xml, apart, dest.name)
        if found:
            raise OperationFailed(" ".join(found))
        checked_ms = (time.monotonic() - started) * 1000
        report(12, f"Checks passed in {checked_ms:.0f} ms; preparing {dest}")
        if ctx.instance.image is not None:
            cache_image(dest_conn, dest, ctx.instance.image)  # pre_live_migration: its files there
        found = migration_storage.missing_files(dest_conn, xml, folders, dest.name)
        if found:
            raise OperationFailed(" ".join(found))
        filters = migration.copy_filters(ctx.conn, dest_conn, xml)
        try:
            disks = migration_storage.prepare_disks(ctx.conn, dest_conn, xml, apart, dest.name)
        except VirtError:
            migration.remove_filters(dest_conn, filters)
            raise
        remember({"made": disks.made, "filters": filters})
    hold_migrating(ctx.instance)
    copied = f", copying {', '.join(disks.copy_targets)}" if disks.copy_targets else ""
    report(20, f"Moving to {dest}{copied}")
    try:
        seconds = ctx.guest.live_migrate(dest.uri, dest.migration_uri, tunables(params),
                                         console_address=dest.console_host,
                                         copy_disks=disks.copy_targets, shared_proven=bool(folders - apart),
                                         progress=lambda figures: report(*progress_of(figures)))  # fmt: skip
    except BaseException:  # aborted, failed, or the job itself broke: the guest is put back as it is
        if not _landed(ctx, dest_conn):
            _roll_back(ctx, dest_conn, filters, disks.made)
            raise
        seconds = time.monotonic() - started
    downtime = migration.completed_downtime(dest_conn, str(ctx.instance.uuid))
    move_row(ctx.instance, dest, dest_conn)
    left = migration_storage.remove_paths(ctx.conn, disks.moved + migration_storage.logs_in(xml, apart))
    said = f"{downtime} ms downtime" if downtime is not None else "downtime not reported"
    kept = f"; left on {ctx.instance.host}: {', '.join(left)}" if left else ""
    return {
        "message": f"Moved to {dest} in {seconds:.1f} s ({said}; checks {checked_ms:.0f} ms){kept}",
        "seconds": round(seconds, 3),
        "downtime_ms": downtime,
        "checks_ms": round(checked_ms, 1),
        "url": reverse("instance-detail", args=[ctx.instance.pk]),
        "link_text": str(ctx.instance),
    }


_LOCKS_GUARD = threading.Lock()
_DESTINATION_LOCKS: dict[int, threading.Lock] = {}


def preparing(host_id: int) -> threading.Lock:
    """The lock this process takes while it checks storage and prepares `host_id` for a guest."""
    with _LOCKS_GUARD:
        return _DESTINATION_LOCKS.setdefault(host_id, threading.Lock())


def hold_migrating(instance: Instance) -> None:
    """State Migrating: neither host's monitor adopts, removes or changes the row meanwhile."""
    Instance.objects.filter(pk=instance.pk).update(state=InstanceState.MIGRATING)
    instance.state = InstanceState.MIGRATING
    broadcast("instance", instance.as_event())


def _landed(ctx: Context, dest_conn) -> bool:
    """After an error: True when the guest runs at the destination anyway and is gone here."""
    uuid = str(ctx.instance.uuid)
    try:
        there = read_domain(dest_conn, uuid)
        return read_domain(ctx.conn, uuid) is None and there is not None and there.state == InstanceState.RUNNING
    except VirtError:
        return False


def _roll_back(ctx: Context, dest_conn, filters: list[str], made: list[str]) -> None:
    """rollback_live_migration_at_destination: the volumes and filters made for it removed, the row
    back in the state the source reports."""
    left = migration.remove_filters(dest_conn, filters) + migration_storage.remove_paths(dest_conn, made)
    if left:
        log.warning("left on the destination after a failed migration: %s", left)
    release(ctx)


def release(ctx: Context) -> None:
    """The row out of Migrating, in the state its host reports now."""
    try:
        state = ctx.guest.state()
    except VirtError:
        state = InstanceState.UNKNOWN
    Instance.objects.filter(pk=ctx.instance.pk, state=InstanceState.MIGRATING).update(state=state)
    record_state(ctx)


def move_row(instance: Instance, dest: Host, dest_conn) -> None:
    """post_live_migration: the same row (same pk, same UUID) now names its new host."""
    uuid, source_id = str(instance.uuid), instance.host_id
    record = read_domain(dest_conn, uuid)
    state = record.state if record is not None else InstanceState.UNKNOWN
    Instance.objects.filter(pk=instance.pk).update(host=dest, state=state)
    apply_domain(dest, uuid, record, read_domain_details(dest_conn, uuid) if record is not None else None)
    moved = Instance.objects.get(pk=instance.pk)
    broadcast("instance", moved.as_event())
    for host_id in (source_id, dest.pk):
        broadcast("instances", {"id": "all", "host_id": host_id})
