"""Network and filter operations carried out on the worker: each changes the host, then re-reads it."""

import logging
from contextlib import contextmanager

from django.urls import reverse

from hosts.connections import pool
from hosts.credentials import UnreadableSecret
from hosts.models import Host
from hosts.services import probe
from jobs.registry import OperationFailed, operation
from virt import networks, nwfilters
from virt.errors import InvalidOperation, NotFound, VirtError

log = logging.getLogger(__name__)


@contextmanager
def _connection(op, report, message: str):
    host = Host.objects.get(pk=op.target_id)
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


def _done(op, report, page: str) -> dict:
    """Refresh Host.inventory (open pages update live) and link back to the list."""
    host = Host.objects.get(pk=op.target_id)
    report(90, "Reading the host's networks and filters again")
    try:
        probe(host)
    except (VirtError, UnreadableSecret) as error:  # the change itself went through
        log.warning("operation %s done, but re-reading %s failed: %s", op.pk, host, error)
    return {"url": reverse(page, kwargs={"host_pk": host.pk})}


@operation("network.create", label="Create network")
def create_network(op, report):
    params = dict(op.params)
    start, autostart = params.pop("start", False), params.pop("autostart", False)
    name = params["name"]
    with _connection(op, report, f"Defining network {name}") as conn:
        networks.define_network(conn, **params)
        try:
            if start:
                report(40, f"Starting network {name}")
                networks.start_network(conn, name)
            if autostart:
                networks.set_autostart(conn, name, True)
        except VirtError as error:
            report(60, f"Removing network {name} again")
            networks.delete_network(conn, name)
            raise OperationFailed(f"Network {name} could not be started, so it was not kept: {error}") from None
    return _done(op, report, "network-list")


def _state_change(op, report, verb: str, change) -> dict:
    name = op.params["name"]
    with _connection(op, report, f"{verb} network {name}") as conn:
        try:
            change(conn, name)
        except InvalidOperation as error:
            raise OperationFailed(f"Network {name}: {error}") from None
    return _done(op, report, "network-list")


@operation("network.start", label="Start network")
def start_network(op, report):
    return _state_change(op, report, "Starting", networks.start_network)


@operation("network.stop", label="Stop network")
def stop_network(op, report):
    return _state_change(op, report, "Stopping", networks.stop_network)


@operation("network.autostart", label="Set network autostart")
def autostart_network(op, report):
    on = bool(op.params["autostart"])
    return _state_change(
        op, report, "Turning autostart " + ("on for" if on else "off for"),
        lambda conn, name: networks.set_autostart(conn, name, on),
    )  # fmt: skip


@operation("network.delete", label="Delete network")
def delete_network(op, report):
    return _state_change(op, report, "Deleting", networks.delete_network)


@operation("nwfilter.define", label="Define network filter")
def define_filter(op, report):
    with _connection(op, report, f"Defining network filter {op.params['name']}") as conn:
        nwfilters.define_filter(conn, op.params["xml"])
    return _done(op, report, "nwfilter-list")


@operation("nwfilter.undefine", label="Undefine network filter")
def undefine_filter(op, report):
    with _connection(op, report, f"Undefining network filter {op.params['name']}") as conn:
        nwfilters.undefine_filter(conn, op.params["name"])
    return _done(op, report, "nwfilter-list")
