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


def mark_up(host: Host, *, facts: HostFacts) -> None:
    was = (host.status, host.last_error)
    inventory_changed = host.inventory != facts.inventory
    summary = facts.summary
    host.status = HostStatus.UP
    host.last_error = ""
    host.last_seen = host.facts_updated = timezone.now()
    host.hypervisor = f"{summary.hypervisor} {summary.hypervisor_version}"
    host.libvirt_version = summary.libvirt_version
    host.cpus = summary.cpus
    host.memory_mib = summary.memory_mib
    host.capabilities = facts.capabilities
    host.resources = facts.resources
    host.inventory = facts.inventory
    host.save(
        update_fields=[
            "status", "last_error", "last_seen", "facts_updated", "hypervisor", "libvirt_version",
            "cpus", "memory_mib", "capabilities", "resources", "inventory",
        ]
    )  # fmt: skip
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
