"""Putting a live migration right after its worker died (for the reaper): a migration still running
is aborted, what was made for it at the destination removed, and the row put where the guest runs;
for a single migration (target: the instance) and for each guest a host's drain was moving (target:
the host)."""

from config.redis_client import redis_client
from hosts.connections import pool
from hosts.credentials import UnreadableSecret
from hosts.models import Host
from instances.inventory import apply_domain
from instances.migration.operations import move_row
from instances.models import Instance, InstanceState
from instances.operation_support import lock_key
from virt import migration, migration_storage
from virt.domains import read_domain, read_domain_details
from virt.errors import NotFound, VirtError
from virt.guest import Guest


def settle(instance: Instance, conn, dest: Host | None, prepared: dict) -> str:
    """What was found and done for a migrating instance whose job died, as a sentence fragment."""
    uuid = str(instance.uuid)
    try:
        aborted = Guest.lookup(conn, uuid).abort_migration()
    except NotFound:
        aborted = False
    record = read_domain(conn, uuid)
    dest_conn = pool().get(dest.uri, dest.credentials()) if dest is not None else None
    if record is not None:
        if dest_conn is not None and record.state == InstanceState.RUNNING:
            migration.clear_incoming(dest_conn, uuid)  # libvirt's own cleanup there, waited for
            migration.remove_filters(dest_conn, prepared.get("filters", []))
            migration_storage.remove_paths(dest_conn, prepared.get("made", []))
        Instance.objects.filter(pk=instance.pk, state=InstanceState.MIGRATING).update(state=record.state)
        apply_domain(instance.host, uuid, record, read_domain_details(conn, uuid))
        return f"{'its migration was aborted; ' if aborted else ''}it is still on {instance.host}"
    if dest_conn is not None and read_domain(dest_conn, uuid) is not None:
        move_row(instance, dest, dest_conn)
        return f"it had moved to {dest}: the instance now names that host"
    Instance.objects.filter(pk=instance.pk).update(state=InstanceState.UNKNOWN)
    return f"it was found on neither {instance.host} nor the destination"


def recover_instance(op, instance: Instance, conn) -> str:
    """instances.recovery, for an instance left Migrating by its own migration."""
    dest = Host.objects.filter(pk=op.params.get("destination")).first()
    return settle(instance, conn, dest, op.result or {})


def recover_drain(op) -> str:
    """For the reaper, target type host: the guests a host's drain was moving when its worker died."""
    found = []
    for pk, prepared in ((op.result or {}).get("moving") or {}).items():
        instance = Instance.objects.select_related("host").filter(pk=pk, state=InstanceState.MIGRATING).first()
        if instance is None:
            continue
        redis_client().delete(lock_key(instance.pk))
        try:
            conn = pool().get(instance.host.uri, instance.host.credentials())
            dest = Host.objects.filter(pk=prepared.get("destination")).first()
            found.append(f"{instance}: {settle(instance, conn, dest, prepared)}")
        except (VirtError, UnreadableSecret) as error:
            found.append(f"{instance}: its host could not be asked ({error}); the monitor re-reads it when it can")
    return "; ".join(found) or "no guest was being moved"
