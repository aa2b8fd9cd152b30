"""What a host is: hypervisor, versions and size, read from an open connection."""

from dataclasses import dataclass

import libvirt


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


def summarize(conn: libvirt.virConnect) -> HostSummary:
    """A few cheap calls that prove the host answers and say what it is."""
    model, memory_mib, cpus, *_ = conn.getInfo()
    return HostSummary(
        hostname=conn.getHostname(),
        hypervisor=conn.getType(),
        hypervisor_version=_version(conn.getVersion()),
        libvirt_version=_version(conn.getLibVersion()),
        cpus=cpus,
        memory_mib=memory_mib,
        domains=len(conn.listAllDomains(0)),
    )
