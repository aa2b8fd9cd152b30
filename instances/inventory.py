"""Keeping Instance rows in step with the hosts: a full reconcile from a bulk read, and single
changes from libvirt events. Called by the monitor and by jobs; pages only read the result."""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q

from config.rows import update_rows
from hosts.models import Host
from instances.models import HELD_STATES, Evacuation, Instance, InstanceState
from live.broadcast import broadcast
from virt.domains import DomainRecord

log = logging.getLogger(__name__)

# Above this many changes in one reconcile, pages get one "reload the list" event instead of one each.
MAX_SINGLE_EVENTS = 20
_SYNCED = ("name", "state", "autostart", "persistent", "vcpus", "memory_mib")


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)  # uuids adopted: their details are still to read
    unread: list[str] = field(default_factory=list)  # uuids of rows whose details were never read (yet)
    changed: int = 0
    removed: int = 0
    stopped_while_down: list[int] = field(default_factory=list)  # ids: were running, found shut off


def _apply(instance: Instance, record: DomainRecord) -> bool:
    """Copy the record onto the row; True when something changed. A row still being built keeps
    its state: the spawn job ends it."""
    changed = False
    for name in _SYNCED:
        if name == "state" and instance.state in HELD_STATES:
            continue
        value = getattr(record, name)
        if value is not None and getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def sync_host(host: Host, records: list[DomainRecord], *, skip: frozenset = frozenset()) -> SyncResult:
    """Make the host's rows match `records` (every domain on it): adopt new domains, update
    changed ones, remove vanished ones. Rows of instances still being built are left alone, and
    so are the uuids in `skip` (an event newer than this snapshot already updated them)."""
    result = SyncResult()
    seen = {record.uuid: record for record in records}
    # (unread: adopted by a monitor that lost the host before it read their definitions)
    unread = ExpressionWrapper(Q(details={}), output_field=BooleanField())
    queryset = Instance.objects.filter(host=host).only("pk", "uuid", *_SYNCED).annotate(unread=unread)
    rows = {str(row.uuid): row for row in queryset}
    changed, new = [], []
    for uuid, record in seen.items():
        row = rows.get(uuid)
        if uuid in skip:
            continue
        if row is None:
            new.append(Instance(host=host, uuid=uuid, name=record.name, state=record.state,
                                autostart=record.autostart, persistent=record.persistent,
                                vcpus=record.vcpus, memory_mib=record.memory_mib))  # fmt: skip
            continue
        was_running = row.state == InstanceState.RUNNING
        if _apply(row, record):
            changed.append(row)
            if was_running and row.state == InstanceState.SHUTOFF:
                result.stopped_while_down.append(row.pk)
    new = _not_moving(new)
    gone = [row.pk for uuid, row in rows.items() if uuid not in seen and uuid not in skip
            and row.state not in HELD_STATES]  # fmt: skip
    with transaction.atomic():
        Instance.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
        update_rows(changed, list(_SYNCED))
        Instance.objects.filter(pk__in=gone).delete()
    result.created = [str(row.uuid) for row in new]
    result.unread = [uuid for uuid, row in rows.items() if row.unread and uuid in seen and uuid not in skip
                     and row.state not in HELD_STATES]  # fmt: skip
    result.changed, result.removed = len(changed), len(gone)
    _announce(host, changed, listing_changed=bool(new or gone))
    return result


def _not_moving(new: list[Instance]) -> list[Instance]:
    """Domains found that are instances migrating here (the migration job moves their row) or that
    were evacuated from this host (stale: the monitor has them removed) are not adopted."""
    if not new:
        return new
    uuids = [row.uuid for row in new]
    moving = Instance.objects.filter(state=InstanceState.MIGRATING, uuid__in=uuids).values_list("uuid", flat=True)
    stale = Evacuation.objects.filter(source_id=new[0].host_id, uuid__in=uuids).values_list("uuid", flat=True)
    skipped = {str(uuid) for uuid in [*moving, *stale]}
    return [row for row in new if str(row.uuid) not in skipped]


def _announce(host: Host, changed: list[Instance], *, listing_changed: bool) -> None:
    if len(changed) > MAX_SINGLE_EVENTS or listing_changed:
        broadcast("instances", {"id": "all", "host_id": host.pk})
    if len(changed) <= MAX_SINGLE_EVENTS:
        for row in changed:
            broadcast("instance", _event(row, host))


def _event(row: Instance, host: Host) -> dict:
    row.host = host
    return row.as_event()


def apply_domain(host: Host, uuid: str, record: DomainRecord | None, details: dict | None = None) -> None:
    """One domain changed (an event, or a job's own change): update, adopt or remove its row."""
    if record is None:
        deleted, _ = Instance.objects.filter(host=host, uuid=uuid).exclude(state__in=HELD_STATES).delete()
        if deleted:
            broadcast("instances", {"id": "all", "host_id": host.pk})
        return
    row = Instance.objects.filter(host=host, uuid=uuid).first()
    if row is None and not _not_moving([Instance(host=host, uuid=uuid)]):
        return
    if row is None:
        row, created = Instance.objects.get_or_create(host=host, uuid=uuid, defaults={"name": record.name})
        if created:
            broadcast("instances", {"id": "all", "host_id": host.pk})
    before = {name: getattr(row, name) for name in _SYNCED}
    _apply(row, record)
    fields = [name for name in _SYNCED if getattr(row, name) != before[name]]
    if details is not None and details != row.details:
        row.details = details
        fields.append("details")
    if not fields:
        return
    # A conditional update: only from the state we read, so a concurrent writer is not undone.
    values = {name: getattr(row, name) for name in fields}
    updated = Instance.objects.filter(pk=row.pk, state=before["state"]).update(**values)
    if updated:
        broadcast("instance", _event(row, host))
    else:
        log.info("instance %s changed meanwhile; the next reconcile settles it", uuid)


def apply_details(host: Host, found: dict[str, dict | None]) -> int:
    """Store the definition summaries of adopted or redefined domains ({uuid: details}), in bulk."""
    found = {uuid: details for uuid, details in found.items() if details is not None}
    changed = []
    uuids = list(found)
    for start in range(0, len(uuids), 500):
        for row in Instance.objects.filter(host=host, uuid__in=uuids[start : start + 500]):
            details = found[str(row.uuid)]
            row.details = details
            row.vcpus = details.get("vcpus") or row.vcpus
            row.memory_mib = details.get("memory_mib") or row.memory_mib
            changed.append(row)
    with transaction.atomic():
        update_rows(changed, ["details", "vcpus", "memory_mib"])
    _announce(host, changed, listing_changed=False)
    return len(changed)
