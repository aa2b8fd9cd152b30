"""Network and filter operations carried out on the worker: each changes the host, then re-reads it."""

from hosts.operation_support import host_connection, reread_host
from jobs.registry import OperationFailed, operation
from virt import networks, nwfilters
from virt.errors import InvalidOperation, VirtError


@operation("network.create", label="Create network")
def create_network(op, report):
    params = dict(op.params)
    start, autostart = params.pop("start", False), params.pop("autostart", False)
    name = params["name"]
    with host_connection(op, report, f"Defining network {name}") as conn:
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
    return reread_host(op, report, page="network-list")


def _state_change(op, report, verb: str, change) -> dict:
    name = op.params["name"]
    with host_connection(op, report, f"{verb} network {name}") as conn:
        try:
            change(conn, name)
        except InvalidOperation as error:
            raise OperationFailed(f"Network {name}: {error}") from None
    return reread_host(op, report, page="network-list")


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
    with host_connection(op, report, f"Defining network filter {op.params['name']}") as conn:
        nwfilters.define_filter(conn, op.params["xml"])
    return reread_host(op, report, page="nwfilter-list")


@operation("nwfilter.undefine", label="Undefine network filter")
def undefine_filter(op, report):
    with host_connection(op, report, f"Undefining network filter {op.params['name']}") as conn:
        nwfilters.undefine_filter(conn, op.params["name"])
    return reread_host(op, report, page="nwfilter-list")
