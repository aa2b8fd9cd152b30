"""The checks before a guest moves to another host, as plain functions of what is known about the
guest and the two hosts: the migrate page feeds them the facts the monitor stored, the job feeds
them what libvirt says at that moment. Each failure is one sentence for the admin."""

from dataclasses import dataclass

from lxml import etree


@dataclass(frozen=True)
class GuestNeeds:
    """What a guest asks of the host it runs on, read from its definition."""

    name: str
    domain_type: str
    os_type: str
    arch: str
    machine: str
    memory_mib: int
    vcpus: int
    networks: tuple[str, ...] = ()
    bridges: tuple[str, ...] = ()
    unmovable: tuple[str, ...] = ()  # devices that cannot follow it, described


@dataclass(frozen=True)
class HostView:
    """What the checks need to know of a host."""

    name: str
    up: bool
    uuid: str
    guest_types: tuple[dict, ...]  # {"os_type", "arch", "domain_types", "machines"}
    memory_total_mib: int
    memory_committed_mib: int  # of the guests running there
    vcpus_total: int
    vcpus_committed: int
    networks: frozenset[str] = frozenset()  # active ones
    bridges: frozenset[str] | None = None  # None: not known here (checked by the job)
    maintenance: bool = False  # nothing new lands there


def platform(xml: str) -> dict:
    """{"domain_type", "os_type", "arch", "machine"} of a domain XML (kept in the instance's details)."""
    root = etree.fromstring(xml.encode())
    os_type = root.find("os/type")
    found = {"domain_type": root.get("type", ""), "os_type": "", "arch": "", "machine": ""}
    if os_type is not None:
        found.update(os_type=os_type.text or "", arch=os_type.get("arch", ""), machine=os_type.get("machine", ""))
    return found


def needs_from_details(name: str, details: dict) -> GuestNeeds:
    """GuestNeeds from what the inventory keeps of a guest's definition (virt.domains.read_details)."""
    nics = details.get("interfaces", [])
    return GuestNeeds(
        name=name,
        **{key: details.get("platform", {}).get(key, "") for key in ("domain_type", "os_type", "arch", "machine")},
        memory_mib=details.get("memory_mib") or 0,
        vcpus=details.get("vcpus") or 1,
        networks=tuple(nic["source"] for nic in nics if nic.get("type") == "network"),
        bridges=tuple(nic["source"] for nic in nics if nic.get("type") == "bridge"),
    )


def guest_needs(xml: str) -> GuestNeeds:
    """GuestNeeds of a domain XML as libvirt gives it (memory in KiB)."""
    root = etree.fromstring(xml.encode())
    networks, bridges, unmovable = [], [], []
    for nic in root.iterfind("devices/interface"):
        source = nic.find("source")
        if nic.get("type") == "network" and source is not None:
            networks.append(source.get("network", ""))
        elif nic.get("type") == "bridge" and source is not None:
            bridges.append(source.get("bridge", ""))
    for hostdev in root.iterfind("devices/hostdev"):
        address = hostdev.find("source/address")
        where = " ".join(f"{k}={v}" for k, v in (address.attrib.items() if address is not None else []))
        unmovable.append(f"host device {hostdev.get('type', '')} {where}".strip())
    return GuestNeeds(
        name=root.findtext("name") or "",
        **platform(xml),
        memory_mib=int(root.findtext("memory") or 0) // 1024,  # libvirt writes it in KiB
        vcpus=int(root.findtext("vcpu") or 1),
        networks=tuple(networks),
        bridges=tuple(bridges),
        unmovable=tuple(unmovable),
    )


def check(guest: GuestNeeds, source: HostView, dest: HostView, *, memory_ratio: float, cpu_ratio: float) -> list[str]:
    """Every reason `guest` cannot move from `source` to `dest`, one sentence each ([] when none)."""
    if dest.name == source.name or (dest.uuid and dest.uuid == source.uuid):
        same = "is the instance's own host" if dest.name == source.name else f"is the same machine as {source.name}"
        return [f"{dest.name} {same}: choose another host."]
    if not dest.up:
        return [f"{dest.name} is down: the guest can only move to a host that answers."]
    if dest.maintenance:
        return [f"{dest.name} is in maintenance: nothing new lands there until it ends."]
    problems = []
    kinds = [t for t in dest.guest_types if t.get("os_type") == guest.os_type and t.get("arch") == guest.arch]
    if not guest.arch:  # not known from the inventory yet: the job checks the live definition
        pass
    elif not any(guest.domain_type in t.get("domain_types", ()) for t in kinds):
        problems.append(f"{dest.name} cannot run {guest.arch} guests of type {guest.domain_type}.")
    elif guest.machine and not any(guest.machine in t.get("machines", ()) for t in kinds):
        problems.append(f"{dest.name} has no machine type {guest.machine} for {guest.arch}.")
    memory_room = int(dest.memory_total_mib * memory_ratio) - dest.memory_committed_mib
    if guest.memory_mib > memory_room:
        problems.append(
            f"{dest.name} has not enough memory: the guest needs {guest.memory_mib} MiB, "
            f"{max(memory_room, 0)} MiB are left there (memory overcommit ratio {memory_ratio:g})."
        )
    vcpu_room = int(dest.vcpus_total * cpu_ratio) - dest.vcpus_committed
    if guest.vcpus > vcpu_room:
        problems.append(
            f"{dest.name} has not enough vCPUs: the guest needs {guest.vcpus}, "
            f"{max(vcpu_room, 0)} are left there (CPU overcommit ratio {cpu_ratio:g})."
        )
    problems += [f"Network {name} does not exist or is not active on {dest.name}." for name in guest.networks
                 if name not in dest.networks]  # fmt: skip
    if dest.bridges is not None:
        problems += [f"Bridge {name} does not exist on {dest.name}." for name in guest.bridges
                     if name not in dest.bridges]  # fmt: skip
    problems += [f"The guest's {device} cannot move to another host." for device in guest.unmovable]
    return problems
