"""What operations on a host's objects share: a connection to the host, and re-reading the host
afterwards so every page showing it is current."""

import logging
from contextlib import contextmanager

from django.urls import reverse

from hosts.connections import pool
from hosts.credentials import UnreadableSecret
from hosts.models import Host
from hosts.services import probe
from jobs.registry import OperationFailed
from virt.errors import NotFound, VirtError

log = logging.getLogger(__name__)


def target_host(op) -> Host:
    """The operation's host; one removed from the console while the operation waited fails it."""
    try:
        return Host.objects.get(pk=op.target_id)
    except Host.DoesNotExist:
        raise OperationFailed(f"Host {op.target_name} was removed from the console: nothing was done.") from None


@contextmanager
def host_connection(op, report, message: str):
    """`with host_connection(op, report, "Doing X") as conn:` on the operation's target host."""
    host = target_host(op)
    report(10, message)
    try:
        credentials = host.credentials()
    except UnreadableSecret as error:
        raise OperationFailed(str(error)) from None
    try:
        with pool().connection(host.uri, credentials) as conn:
            yield conn
    except NotFound as error:
        raise OperationFailed(f"{error}: it may have been removed meanwhile.") from None


def reread_host(op, report, *, page: str) -> dict:
    """Refresh Host.inventory (open pages update live); the result links to `page` of the host."""
    host = Host.objects.filter(pk=op.target_id).first()
    if host is None:  # removed from the console meanwhile: the change itself went through
        return {"message": f"Done; host {op.target_name} was removed from the console meanwhile"}
    report(95, "Reading the host again")
    try:
        probe(host)
    except (VirtError, UnreadableSecret) as error:  # the change itself went through
        log.warning("operation %s done, but re-reading %s failed: %s", op.pk, host, error)
    return {"url": reverse(page, kwargs={"host_pk": host.pk})}
