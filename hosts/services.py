"""Writes to hosts. Called from jobs and the monitor, never from a page view."""

from django.utils import timezone

from hosts.connections import pool
from hosts.models import Host, HostStatus
from live.broadcast import broadcast
from virt.errors import VirtError
from virt.host import HostSummary, summarize


def probe(host: Host) -> HostSummary:
    """Connect to the host, read what it is, and record it up; record it down on failure."""
    try:
        with pool().connection(host.uri) as conn:
            summary = summarize(conn)
    except VirtError as error:
        mark_down(host, error=str(error))
        raise
    mark_up(host, summary=summary)
    return summary


def mark_up(host: Host, *, summary: HostSummary) -> None:
    host.status = HostStatus.UP
    host.last_error = ""
    host.last_seen = timezone.now()
    host.hypervisor = f"{summary.hypervisor} {summary.hypervisor_version}"
    host.libvirt_version = summary.libvirt_version
    host.cpus = summary.cpus
    host.memory_mib = summary.memory_mib
    host.save(
        update_fields=["status", "last_error", "last_seen", "hypervisor", "libvirt_version", "cpus", "memory_mib"]
    )
    _publish(host)


def mark_down(host: Host, *, error: str) -> None:
    host.status = HostStatus.DOWN
    host.last_error = error
    host.save(update_fields=["status", "last_error"])
    _publish(host)


def _publish(host: Host) -> None:
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
