"""What a host is: hypervisor, versions and size, and its objects besides guests (pools and
volumes, networks, network filters: its inventory), read from an open connection."""

from dataclasses import dataclass

import libvirt

from virt.capabilities import read_capabilities
from virt.connection import open_connection
from virt.credentials import Credentials
from virt.domains import DomainRecord, vcpus_running
from virt.errors import translate
from virt.networks import read_networks
from virt.nwfilters import read_nwfilters
from virt.resources import read_resources
from virt.storage import read_pools
from virt.uri import is_local_uri

READERS = {"pools": read_pools, "networks": read_networks, "nwfilters": read_nwfilters}
_UNSUPPORTED = {libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED, libvirt.VIR_ERR_OPERATION_UNSUPPORTED}


def _version(number: int) -> str:
    return f"{number // 1_000_000}.{number // 1000 % 1000}.{number % 1000}"


@dataclass(frozen=True)
class HostSummary:
    hostname: str
    hypervisor: str
    hypervisor_version: str
    libvirt_version: str
    cpus: int
    memory_mib: int
    domains: int

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def summarize(conn: libvirt.virConnect, *, domains: int | None = None) -> HostSummary:
    """A few cheap calls that prove the host answers and say what it is (`domains`: already
    counted by the caller, not listed again)."""
    model, memory_mib, cpus, *_ = conn.getInfo()
    return HostSummary(
        hostname=conn.getHostname(),
        hypervisor=conn.getType(),
        hypervisor_version=_version(conn.getVersion()),
        libvirt_version=_version(conn.getLibVersion()),
        cpus=cpus,
        memory_mib=memory_mib,
        domains=len(conn.listAllDomains(0)) if domains is None else domains,
    )


def read_inventory(conn: libvirt.virConnect) -> dict:
    """{"pools": [...], "networks": [...], "nwfilters": [...]}; a driver without such objects (the
    LXC driver has no storage, say) gives an empty list."""
    inventory = {}
    for name, read in READERS.items():
        try:
            inventory[name] = read(conn)
        except libvirt.libvirtError as error:
            if error.get_error_code() not in _UNSUPPORTED:
                raise
            inventory[name] = []
    return inventory


@dataclass(frozen=True)
class HostFacts:
    """Everything the console shows about a host, read in one go. Without the slow facts
    (`read_facts(slow=False)`), capabilities and inventory are None: not read this time."""

    summary: HostSummary
    capabilities: dict | None
    resources: dict
    inventory: dict | None


def read_facts(conn: libvirt.virConnect, *, uri: str, slow: bool = True,
               domains: list[DomainRecord] | None = None) -> HostFacts:  # fmt: skip
    """The summary and resources (they change all the time), and with `slow` the capabilities and
    the inventory of pools, volumes, networks and filters (they change on an admin's action).
    `domains`: the host's domains just read (read_domains): counted from there, not listed again."""
    used = vcpus_running(domains) if domains is not None else None
    return HostFacts(
        summary=summarize(conn, domains=None if domains is None else len(domains)),
        capabilities=read_capabilities(conn).as_dict() if slow else None,
        resources=read_resources(conn, local=is_local_uri(uri), vcpus_used=used).as_dict(),
        inventory=read_inventory(conn) if slow else None,
    )


def try_host(uri: str, *, timeout: float, credentials: Credentials | None = None) -> HostFacts:
    """Open a fresh connection with these settings, read the facts, close it. Errors translated."""
    conn = open_connection(uri, timeout=timeout, credentials=credentials)
    try:
        return read_facts(conn, uri=uri)
    except libvirt.libvirtError as error:
        raise translate(error, uri=uri) from None
    finally:
        try:
            conn.close()
        except libvirt.libvirtError:
            pass
