"""Ending a resize or cold migration (Nova's confirm_migration and finish_revert_migration) from the
record the resize job keeps (in its operation's result while it runs, then in
Instance.pending_resize): put_back undoes it — after a failure, on Revert, and for the reaper —,
confirm deletes what the instance left behind. Either may run again after a crash halfway."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from hosts.connections import pool
from hosts.credentials import decrypt
from hosts.models import Host, HostStatus
from instances.inventory import apply_domain
from instances.models import Flavor, Instance, InstanceState
from instances.operation_support import BOOT_TIMEOUT
from jobs.services import Busy, NoWorker, start_operation
from live.broadcast import broadcast
from virt import firewall, migration, migration_storage, resize
from virt.domains import read_domain, read_domain_details
from virt.errors import NotFound
from virt.guest import Guest

log = logging.getLogger(__name__)
RESIZE_KINDS = ("instance.resize", "instance.revert_resize")  # they hold the row in Migrating


def _guest(conn, uuid: str) -> Guest | None:
    try:
        return Guest.lookup(conn, uuid)
    except NotFound:
        return None


def put_back(instance: Instance, record: dict) -> str:
    """The instance as it was before the resize, on its old host: what was made at the destination
    removed, its disks put back, its old definition restored and started if it ran."""
    source = Host.objects.get(pk=record["source"])
    dest = Host.objects.filter(pk=record["destination"]).first()
    uuid, left = str(instance.uuid), []
    with pool().connection(source.uri, source.credentials()) as conn:
        if dest is not None and dest.pk != source.pk:
            with pool().connection(dest.uri, dest.credentials()) as dest_conn:
                if (there := _guest(dest_conn, uuid)) is not None:
                    there.destroy()
                    there.undefine()
                left += migration.remove_filters(dest_conn, record.get("filters", []))
                left += migration_storage.remove_paths(dest_conn, record.get("made", []))
        elif (here := _guest(conn, uuid)) is not None:
            here.destroy()  # it runs on the files put back now
        for path in record.get("keep", []):
            if path in record.get("aside", []):
                resize.put_back(conn, path)
            else:  # set aside only partly (the job died copying): the original is untouched
                migration_storage.remove_paths(conn, [resize.aside_path(path)])
        guest = Guest.define(conn, decrypt(record["definition"]))
        if record.get("was_running") and guest.state() != InstanceState.RUNNING:
            guest.start()
            guest.wait_for_state({InstanceState.RUNNING}, timeout=BOOT_TIMEOUT)
        found = read_domain(conn, uuid)
        flavor = Flavor.objects.filter(pk=record.get("flavor")).first()
        state = found.state if found else InstanceState.UNKNOWN
        Instance.objects.filter(pk=instance.pk).update(host=source, flavor=flavor, pending_resize={}, state=state)
        apply_domain(source, uuid, found, read_domain_details(conn, uuid) if found else None)
    _announce(instance, {source.pk, instance.host_id})
    if left:
        log.warning("left on %s after putting back %s: %s", dest, instance, left)
    return f"it is back on {source} as before the resize" + (f"; left on {dest}: {', '.join(left)}" if left else "")


def confirm(instance: Instance, record: dict) -> str:
    """The resize kept: its old host's copies (disks, console log, filter) and the disks set aside
    deleted. What could not be deleted is said."""
    source, uuid, left = Host.objects.filter(pk=record["source"]).first(), str(instance.uuid), []
    if source is not None:
        with pool().connection(source.uri, source.credentials()) as conn:
            if source.pk != instance.host_id:
                left += migration_storage.remove_paths(conn, record.get("moved", []))
                firewall.remove_instance_filter(conn, uuid)
            left += migration_storage.remove_paths(conn, [resize.aside_path(path) for path in record.get("aside", [])])
    Instance.objects.filter(pk=instance.pk).update(pending_resize={})
    _announce(instance, {instance.host_id})
    return f"left on {source}: {', '.join(left)}" if left else "what it left behind was deleted"


def _announce(instance: Instance, host_ids: set[int]) -> None:
    broadcast("instance", Instance.objects.get(pk=instance.pk).as_event())
    for host_id in host_ids:
        broadcast("instances", {"id": "all", "host_id": host_id})


def recover(op, instance: Instance) -> str:
    """For the reaper: a resize or revert whose worker died is undone (the instance put back)."""
    record = (op.result or {}).get("resize") if op.kind == "instance.resize" else instance.pending_resize
    if not record:
        return "nothing of the resize had been changed yet"
    return put_back(instance, record)


def confirm_due() -> list[int]:
    """Queue Confirm for the resizes waiting longer than RESIZE_CONFIRM_WINDOW (0: never), whose old
    host answers; the ids of the operations queued. The monitor calls it with the reaper."""
    if not settings.RESIZE_CONFIRM_WINDOW:
        return []
    due = timezone.now() - timedelta(seconds=settings.RESIZE_CONFIRM_WINDOW)
    up = set(Host.objects.filter(status=HostStatus.UP).values_list("pk", flat=True))
    queued = []
    for instance in Instance.objects.filter(pending_resize__has_key="since").select_related("host"):
        record = instance.pending_resize
        if datetime.fromisoformat(record["since"]) > due or record["source"] not in up | {instance.host_id}:
            continue
        try:
            op = start_operation(kind="instance.confirm_resize", target=instance, params={"automatic": True})
        except (Busy, NoWorker):
            continue  # another operation holds it, or nobody would run it: next time
        queued.append(op.pk)
    return queued
