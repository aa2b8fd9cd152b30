"""Reading the domains of a host in bulk (for the inventory) and one at a time (after an event)."""

import contextlib
from dataclasses import dataclass, field

import libvirt
from lxml import etree

from virt import firewall
from virt.errors import translated
from virt.migration_checks import platform
from virt.numa import describe as describe_numa
from virt.snapshots import snapshot_details
from virt.xml.domain import Domain

# Our state vocabulary (the Instance.state values), from libvirt's domain states.
_STATES = {
    libvirt.VIR_DOMAIN_NOSTATE: "unknown",
    libvirt.VIR_DOMAIN_RUNNING: "running",
    libvirt.VIR_DOMAIN_BLOCKED: "running",
    libvirt.VIR_DOMAIN_PAUSED: "paused",
    libvirt.VIR_DOMAIN_SHUTDOWN: "shutdown",
    libvirt.VIR_DOMAIN_SHUTOFF: "shutoff",
    libvirt.VIR_DOMAIN_CRASHED: "crashed",
    libvirt.VIR_DOMAIN_PMSUSPENDED: "paused",
}
_STATS = (
    libvirt.VIR_DOMAIN_STATS_STATE
    | libvirt.VIR_DOMAIN_STATS_CPU_TOTAL
    | libvirt.VIR_DOMAIN_STATS_VCPU
    | libvirt.VIR_DOMAIN_STATS_BALLOON
    | libvirt.VIR_DOMAIN_STATS_BLOCK
    | libvirt.VIR_DOMAIN_STATS_INTERFACE
)
# Per-device figures of the bulk stats (block.<n>.<key>, net.<n>.<key>) and our names for them.
_DISK_STATS = {"name": "target", "path": "source", "rd.reqs": "read_requests", "rd.bytes": "read_bytes",
               "wr.reqs": "write_requests", "wr.bytes": "write_bytes", "capacity": "capacity",
               "allocation": "allocation", "physical": "physical"}  # fmt: skip
_NIC_STATS = {"name": "target", "rx.bytes": "rx_bytes", "rx.pkts": "rx_packets", "rx.drop": "rx_dropped",
              "tx.bytes": "tx_bytes", "tx.pkts": "tx_packets", "tx.drop": "tx_dropped"}  # fmt: skip


@dataclass(frozen=True)
class DomainRecord:
    """What the inventory keeps of a domain. memory_mib is None when the driver's bulk stats do
    not say (libvirt's test driver), and vcpus too for a domain that is not running; they then
    come from the XML."""

    uuid: str
    name: str
    state: str
    autostart: bool
    persistent: bool
    vcpus: int | None = None
    memory_mib: int | None = None
    devices: dict = field(default_factory=dict, compare=False)  # device_stats(): per-disk and per-NIC figures


def state_name(state: int, *, managed_save: bool = False) -> str:
    name = _STATES.get(state, "unknown")
    return "suspended" if name == "shutoff" and managed_save else name


def _uuids(conn: libvirt.virConnect, flag: int) -> set[str]:
    return {domain.UUIDString() for domain in conn.listAllDomains(flag)}


def read_domains(conn: libvirt.virConnect) -> list[DomainRecord]:
    """Every domain of the host in four round trips, whatever their number."""
    autostart = _uuids(conn, libvirt.VIR_CONNECT_LIST_DOMAINS_AUTOSTART)
    saved = _uuids(conn, libvirt.VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE)
    persistent = _uuids(conn, libvirt.VIR_CONNECT_LIST_DOMAINS_PERSISTENT)
    records = []
    for domain, stats in conn.getAllDomainStats(_STATS):
        uuid = domain.UUIDString()
        records.append(_record(domain, stats, uuid=uuid, autostart=uuid in autostart, saved=uuid in saved,
                               persistent=uuid in persistent))  # fmt: skip
    return records


def _record(domain, stats: dict, *, uuid: str, autostart: bool, saved: bool, persistent: bool) -> DomainRecord:
    memory_kib = stats.get("balloon.maximum")
    state = stats.get("state.state", libvirt.VIR_DOMAIN_NOSTATE)
    vcpus = stats.get("vcpu.current")
    if vcpus is None and state != libvirt.VIR_DOMAIN_SHUTOFF:  # the test driver has no vcpu group
        vcpus = _current_vcpus(domain)
    return DomainRecord(
        uuid=uuid,
        name=domain.name(),
        state=state_name(state, managed_save=saved),
        autostart=autostart,
        persistent=persistent,
        vcpus=vcpus,
        memory_mib=memory_kib // 1024 if memory_kib else None,
        devices=device_stats(stats),
    )


def _current_vcpus(domain) -> int | None:
    try:
        return domain.info()[3]
    except libvirt.libvirtError:
        return None  # gone since the list: the next read says so


def vcpus_running(records: list[DomainRecord]) -> int | None:
    """The vCPUs of the running domains (what read_resources counts), or None where a running
    domain's count is not known."""
    running = [record.vcpus for record in records if record.state not in ("shutoff", "suspended")]
    return None if None in running else sum(running)


def device_stats(stats: dict) -> dict:
    """The counters of a domain's stats: {"disks": [...], "nics": [...]} per device, its CPU time
    (ns) and memory (KiB: the balloon's current size, what QEMU holds, and what the guest says it
    has and leaves unused where its balloon driver reports) — absent: None."""
    return {"disks": _rows(stats, "block", _DISK_STATS), "nics": _rows(stats, "net", _NIC_STATS),
            "cpu_time_ns": stats.get("cpu.time"), "memory_kib": stats.get("balloon.current"),
            "rss_kib": stats.get("balloon.rss"), "memory_available_kib": stats.get("balloon.available"),
            "memory_unused_kib": stats.get("balloon.unused")}  # fmt: skip


def _rows(stats: dict, prefix: str, names: dict) -> list[dict]:
    return [
        {ours: stats.get(f"{prefix}.{index}.{theirs}") for theirs, ours in names.items()}
        for index in range(stats.get(f"{prefix}.count", 0))
    ]


@translated
def read_device_stats(conn: libvirt.virConnect, uuid: str) -> dict:
    """device_stats of one domain, now."""
    domain = conn.lookupByUUIDString(uuid)
    found = conn.domainListGetStats([domain], _STATS)
    return device_stats(found[0][1]) if found else {}


@translated
def read_domain(conn: libvirt.virConnect, uuid: str) -> DomainRecord | None:
    """One domain by UUID, or None when it is gone."""
    try:
        domain = conn.lookupByUUIDString(uuid)
        state, _reason = domain.state()
        saved = state == libvirt.VIR_DOMAIN_SHUTOFF and bool(domain.hasManagedSaveImage(0))
        _state, max_kib, _mem, vcpus, _cpu = domain.info()
        return DomainRecord(
            uuid=uuid,
            name=domain.name(),
            state=state_name(state, managed_save=saved),
            autostart=bool(domain.autostart()) if domain.isPersistent() else False,
            persistent=bool(domain.isPersistent()),
            vcpus=vcpus,
            memory_mib=max_kib // 1024,
        )
    except libvirt.libvirtError as error:
        if error.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
            return None
        raise


def read_details(xml: str) -> dict:
    """What the instance page shows of a domain's definition; never a graphics password."""
    domain = Domain.from_xml(xml)
    return {
        "vcpus": domain.vcpus,
        "memory_mib": domain.memory_mib,
        "boot": {"kernel": domain.boot.kernel, "initrd": domain.boot.initrd, "cmdline": domain.boot.cmdline},
        "disks": [
            {"target": d.target, "source": d.source, "device": d.device, "bus": d.bus, "format": d.format}
            for d in domain.disks
        ],
        "interfaces": [
            {
                "type": i.type,
                "source": i.source,
                "mac": i.mac,
                "model": i.model,
                "target": i.target,
                "filter": i.filter,
                "link": i.link or "up",
            }
            for i in domain.interfaces
        ],
        "graphics": [{"type": g.type, "listen": g.listen, "port": g.port} for g in domain.graphics],
        "serial_log": domain.serial.log_file if domain.serial else "",
        "numa": describe_numa(domain.cells, domain.cputune, domain.numatune),
        "platform": platform(xml),
    }


def _kept_definition(conn: libvirt.virConnect, domain: libvirt.virDomain, uuid: str) -> dict:
    """What an evacuation rebuilds the guest from once its host is gone: its persistent definition
    (without graphics passwords) and the host filter its own network filter is built on."""
    definition, base = domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE), ""
    if f"'{firewall.filter_name(uuid)}'" in definition:
        with contextlib.suppress(libvirt.libvirtError):
            ref = etree.fromstring(conn.nwfilterLookupByName(firewall.filter_name(uuid)).XMLDesc(0).encode())
            base = ref.find("filterref").get("filter") if ref.find("filterref") is not None else ""
    return {"definition": definition, "firewall_base": base}


@translated
def read_domain_details(conn: libvirt.virConnect, uuid: str) -> dict | None:
    """read_details of the live definition of one domain, or None when it is gone."""
    try:
        domain = conn.lookupByUUIDString(uuid)
        xml = domain.XMLDesc(0)
        return {**read_details(xml), **snapshot_details(domain, xml), **_kept_definition(conn, domain, uuid)}
    except libvirt.libvirtError as error:
        if error.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
            return None
        raise
