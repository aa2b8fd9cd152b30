"""Writes to hosts. Called from jobs and the monitor, never from a page view."""

from django.utils import timezone

from hosts.connections import pool
from hosts.credentials import UnreadableSecret
from hosts.models import Host, HostStatus
from live.broadcast import broadcast
from virt.errors import VirtError
from virt.host import HostFacts, read_facts


def probe(host: Host) -> HostFacts:
    """Connect to the host, read its facts, and record it up; record it down on failure."""
    try:
        with pool().connection(host.uri, host.credentials()) as conn:
            facts = read_facts(conn, uri=host.uri)
    except (VirtError, UnreadableSecret) as error:
        mark_down(host, error=str(error))
        raise
    mark_up(host, facts=facts)
    return facts


def mark_up(host: Host, *, facts: HostFacts, figures_every: float = 0) -> None:
    """Record the host up with what was read; the row is written only when something changed. The figures that
    change on every read (resources, last seen) are written with any other change, or once the
    stored ones are `figures_every` seconds old (0: always, as after a job's own read)."""
    was = (host.status, host.last_error)
    summary, now = facts.summary, timezone.now()
    values = {
        "status": HostStatus.UP,
        "last_error": "",
        "hypervisor": f"{summary.hypervisor} {summary.hypervisor_version}",
        "libvirt_version": summary.libvirt_version,
        "cpus": summary.cpus,
        "memory_mib": summary.memory_mib,
    }
    if facts.inventory is not None:  # the slow facts were read this time
        values |= {"capabilities": facts.capabilities, "inventory": facts.inventory, "facts_updated": now}
    inventory_changed = facts.inventory is not None and host.inventory != facts.inventory
    changed = [name for name, value in values.items() if name != "facts_updated" and getattr(host, name) != value]
    figures_due = host.last_seen is None or (now - host.last_seen).total_seconds() >= figures_every
    if not changed and not figures_due:
        return
    for name, value in values.items():
        setattr(host, name, value)
    host.resources, host.last_seen = facts.resources, now
    host.save(update_fields=[*values, "resources", "last_seen"])
    _publish(host, changed=was != (host.status, host.last_error))
    if inventory_changed:  # pages showing pools, volumes, networks or filters of this host refresh
        broadcast("host-inventory", {"id": host.pk})


def mark_down(host: Host, *, error: str) -> None:
    was = (host.status, host.last_error)
    host.status = HostStatus.DOWN
    host.last_error = error
    host.save(update_fields=["status", "last_error"])
    _publish(host, changed=was != (host.status, host.last_error))


def _publish(host: Host, *, changed: bool) -> None:
    """Pages follow status changes; the periodic facts refresh alone sends nothing."""
    if changed:
        broadcast(
            "host",
            {
                "id": host.pk,
                "status": host.status,
                "status_label": host.get_status_display(),
                "last_error": host.last_error,
            },
        )


def register_host(*, name: str, uri: str) -> tuple[Host, bool]:
    """Add a host by URI unless one with that URI exists. Returns (host, created)."""
    return Host.objects.get_or_create(uri=uri, defaults={"name": name})
