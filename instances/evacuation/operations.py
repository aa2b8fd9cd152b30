"""Evacuate the guests of a host that is down (Nova's evacuate): each is defined on the host the
maintenance scheduler picks, from the definition the inventory kept of it — on its own disks when
that host sees them (shared storage), else, only with the admin's consent, on a root disk and config
drive made anew from its image (what was written to its disks is lost) — and started if it ran. The
row moves with it; an Evacuation record has the monitor remove the stale domain (and, when the
guest was rebuilt from its image, its old disks) once the dead host answers again."""

from pathlib import PurePosixPath

from django.conf import settings
from django.db import close_old_connections, transaction

from hosts.connections import pool
from hosts.models import Host, HostStatus
from hosts.operation_support import target_host
from instances.build.operations import config_drive, make_root_disk, remove_from_host
from instances.images.cache import cache_image
from instances.migration.maintenance import choose_destination, each_guest
from instances.migration.operations import connected, hold_migrating, move_row, preparing
from instances.models import HELD_STATES, Evacuation, Instance, InstanceState
from instances.operation_support import Context, boot
from jobs.models import ACTIVE, Operation
from jobs.registry import BULK, OperationFailed, operation
from jobs.services import NoWorker, start_operation
from live.broadcast import broadcast
from virt import evacuation, firewall, images, migration, migration_storage
from virt.errors import NotFound, VirtError
from virt.guest import Guest
from virt.resize import root_disk
from virt.stopping import check

RAN = (InstanceState.RUNNING, InstanceState.PAUSED)


@operation("host.evacuate", label="Evacuate", timeout=6 * 3600, stoppable=True, queue=BULK)
def evacuate(op, report):
    host = target_host(op)
    _still_down(host)
    guests = list(Instance.objects.filter(host=host).exclude(state__in=HELD_STATES).select_related("image", "flavor"))
    if not guests:
        return {"message": f"{host} holds no guest to evacuate", "lines": {}}
    from_image = bool(op.params.get("from_image"))

    def move_one(guest: Instance, say, moving: dict) -> str:
        dest, why = choose_destination(guest, op.user, cold=True)
        if dest is None:
            raise OperationFailed(why)
        record = moving[str(guest.pk)] = {"destination": dest.pk, "state": guest.state, "made": [], "filters": []}
        say(f"being rebuilt on {dest}")
        return f"to {dest}: {rebuild_on(op, guest, dest, from_image=from_image, say=say, record=record)}"

    lines, stayed = each_guest(op, report, guests, move_one, verb=("evacuate", "evacuated"))
    summary = f"{len(lines) - len(stayed)} of {len(lines)} guests evacuated from {host}"
    check(f"Aborted: {summary}")
    if stayed:
        raise OperationFailed(f"{summary}; still there: " + "; ".join(f"{name} ({lines[name]})" for name in stayed))
    return {"message": summary, "lines": lines}


def _still_down(host: Host) -> None:
    if Host.objects.filter(pk=host.pk, status=HostStatus.UP).exists():
        raise OperationFailed(f"{host} answers again: nothing more is evacuated. Move its guests with a migration "
                              "or its maintenance instead.")  # fmt: skip


def rebuild_on(op, guest: Instance, dest: Host, *, from_image: bool, say, record: dict) -> str:
    """Define the guest on `dest` from its kept definition and start it if it ran; what was made
    there is listed in `record` as it is made (for a failure and for the reaper)."""
    definition = (guest.details or {}).get("definition", "")
    if not definition:
        raise OperationFailed("the console never read its definition, so it cannot be defined elsewhere")
    uuid, defined = str(guest.uuid), False
    with connected(dest) as conn, preparing(dest.pk):
        try:
            images.ensure_pool(conn, settings.INSTANCE_POOL_NAME, settings.INSTANCE_POOL_PATH)
            if guest.image is not None:
                cache_image(conn, dest, guest.image)  # the base of its overlay, its kernel
            missing = evacuation.disks_not_seen(conn, definition)
            how = "on its own disks (shared storage)"
            if missing:
                how = _disks_from_image(op, guest, conn, dest, definition, missing, from_image, record, say)
            found = migration_storage.missing_files(conn, definition, set(), dest.name)
            if found:
                raise OperationFailed(" ".join(found))
            base = (guest.details or {}).get("firewall_base", "")
            if base and f"'{firewall.filter_name(uuid)}'" in definition:
                record["filters"].append(firewall.define_instance_filter(conn, uuid, base))
                say(f"its network filter defined on {dest}")  # written down: a reaper would remove it
            _still_down(guest.host)
            hold_migrating(guest)
            made = Guest.define(conn, evacuation.evacuated_definition(definition, dest.console_host))
            defined = True
            if record["state"] in RAN:
                say("starting")
                boot(Context(instance=guest, conn=conn, guest=made), lambda _progress, text: say(text.lower()))
        except BaseException:
            close_old_connections()
            _undo(conn, guest, record, defined)
            raise
        settle_evacuated(guest, dest, conn, from_image=bool(missing))
    return f"{how}, {'started' if record['state'] in RAN else 'shut off'}"


def _disks_from_image(op, guest: Instance, conn, dest: Host, definition: str, missing, from_image: bool,
                      record: dict, say) -> str:  # fmt: skip
    """Its root disk and config drive made anew at their paths on `dest` (when the admin agreed)."""
    targets = ", ".join(disk.target for disk in missing)
    if not from_image:
        raise OperationFailed(f"{dest} does not see its disks ({targets}: not on shared storage); rebuilding it "
                              "from its image loses what was written to them, and was not chosen")  # fmt: skip
    root, drive = root_disk(definition), f"{guest.uuid}-config.iso"
    others = [disk.target for disk in missing if disk.path != root and PurePosixPath(disk.path).name != drive]
    if others or guest.image is None or guest.flavor is None:
        why = f"its disks {', '.join(others)} are" if others else "it has no image or flavor: its disks are"
        raise OperationFailed(f"{why} not on storage {dest} sees, and only a root disk and a config drive can be "
                              "made anew")  # fmt: skip
    cached = cache_image(conn, dest, guest.image)
    for disk in missing:
        storage = migration.pool_at(conn, disk.folder)
        if storage is None:
            raise OperationFailed(f"{dest} has no storage pool at {disk.folder} for {disk.target}.")
        name = PurePosixPath(disk.path).name
        record["made"].append(disk.path)  # its path is free there (unseen): a half-made volume is removed too
        say(f"making {disk.target} anew on {dest}")  # written down first, for a reaper
        if disk.path == root:
            make_root_disk(conn, guest, cached, storage.name(), name)
        else:
            images.write_volume(conn, storage.name(), name, config_drive(op, guest))
        say(f"{disk.target} made anew on {dest}")
    return f"rebuilt from image {guest.image} (what was written to its disks is lost)"


def _undo(conn, guest: Instance, record: dict, defined: bool) -> None:
    """A failed evacuation leaves nothing on the destination; the row stays on its dead host."""
    if defined:
        try:
            evacuation.remove_stale_domain(conn, str(guest.uuid))
        except VirtError:
            pass
    migration_storage.remove_paths(conn, record["made"])
    migration.remove_filters(conn, record["filters"])
    Instance.objects.filter(pk=guest.pk, state=InstanceState.MIGRATING).update(state=record["state"])
    broadcast("instances", {"id": "all", "host_id": guest.host_id})


def settle_evacuated(guest: Instance, dest: Host, conn, *, from_image: bool) -> None:
    """The row names its new host; its old host's stale domain is noted for removal."""
    with transaction.atomic():
        Evacuation.objects.create(source_id=guest.host_id, uuid=guest.uuid, name=guest.name, from_image=from_image)
        move_row(guest, dest, conn)


def recover_evacuation(op) -> str:
    """For the reaper: the guests an evacuation was rebuilding when its worker died — finished where
    the destination holds the guest's domain, else what was made there removed and the row left on
    its dead host as it was."""
    found = []
    for pk, record in ((op.result or {}).get("moving") or {}).items():
        guest = Instance.objects.select_related("host").filter(pk=pk).first()
        dest = Host.objects.filter(pk=record.get("destination")).first()
        if guest is None or dest is None or guest.host_id == dest.pk:
            continue  # gone, or evacuated before the worker died
        try:
            with pool().connection(dest.uri, dest.credentials()) as conn:
                if guest.state == InstanceState.MIGRATING and _has_domain(conn, str(guest.uuid)):
                    settle_evacuated(guest, dest, conn, from_image=bool(record.get("made")))
                    found.append(f"{guest}: it had been defined on {dest}, which the instance now names")
                else:
                    _undo(conn, guest, record, defined=False)
                    found.append(f"{guest}: not evacuated, nothing left on {dest}")
        except VirtError as error:
            found.append(f"{guest}: {dest} could not be asked ({error})")
    return "; ".join(found) or "no guest was being evacuated"


def _has_domain(conn, uuid: str) -> bool:
    try:
        Guest.lookup(conn, uuid)
    except NotFound:
        return False
    return True


@operation("host.remove_evacuated", label="Remove evacuated guests")
def remove_evacuated(op, report):
    """The stale domains of the guests evacuated from this host, now that it answers again: stopped
    if anything started them, undefined, never started; with their disks when those were not shared."""
    host, removed = target_host(op), []
    with pool().connection(host.uri, host.credentials()) as conn:
        for stale in Evacuation.objects.filter(source=host):
            report(50, f"Removing what {stale.name} left on {host}")
            had_domain = evacuation.remove_stale_domain(conn, str(stale.uuid))
            if stale.from_image:
                remove_from_host(conn, Instance(uuid=stale.uuid, host=host))  # its disks, console log, filter
            else:
                firewall.remove_instance_filter(conn, str(stale.uuid))  # its disks are the guest's own now
            removed.append(f"{stale.name} ({'its domain' if had_domain else 'no domain'}"
                           f"{', its old disks' if stale.from_image else ''})")  # fmt: skip
            stale.delete()
    return {"message": f"Removed from {host} what the guests evacuated from it left: {'; '.join(removed)}"}


def remove_evacuated_due() -> list[int]:
    """Queue remove_evacuated for each host that answers and has evacuated guests' domains to remove
    (unless one is queued or running already); the ids of the operations queued. The monitor calls
    it with the reaper."""
    active = Operation.objects.filter(kind="host.remove_evacuated", status__in=ACTIVE)
    pending, queued = set(active.values_list("target_id", flat=True)), []
    for host in Host.objects.filter(status=HostStatus.UP, evacuations__isnull=False).distinct():
        if str(host.pk) in pending:
            continue
        try:
            queued.append(start_operation(kind="host.remove_evacuated", target=host).pk)
        except NoWorker:
            break  # nobody would run it: next time
    return queued
