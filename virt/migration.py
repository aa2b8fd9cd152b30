"""Moving a running guest to another host: a host as the checks see it (live), the CPU comparison,
the shared-storage probe (Nova's way: a file made on the destination, looked for from the source),
the network filters copied ahead, and the peer-to-peer live migration itself, with its progress,
its abort (virt.stopping), its completion timeout and the switch to post-copy."""

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath

import libvirt
from lxml import etree

from virt import stopping
from virt.capabilities import read_capabilities
from virt.errors import VirtError, translate, translated
from virt.migration_checks import HostView
from virt.storage import refresh_pool, volume_xml

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5  # how often a running migration's figures are read
POST_COPY_AFTER = 3  # memory iterations (passes over the guest's RAM) before switching to post-copy


@dataclass(frozen=True)
class Tunables:
    max_downtime_ms: int = 300
    bandwidth_mib: int = 0  # MiB/s; 0: as fast as the link goes
    auto_converge: bool = True
    post_copy: bool = False
    completion_timeout: int = 600  # seconds: then the migration is aborted


@translated
def host_view(conn: libvirt.virConnect, name: str) -> HostView:
    """A host as the checks see it, read from libvirt now."""
    caps = read_capabilities(conn)
    running = conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)
    infos = [domain.info() for domain in running]  # [state, max KiB, KiB, vCPUs, cpu time]
    networks = conn.listAllNetworks(libvirt.VIR_CONNECT_LIST_NETWORKS_ACTIVE)
    try:
        bridges = frozenset(i.name() for i in conn.listAllInterfaces(0)) | {n.bridgeName() for n in networks}
    except libvirt.libvirtError:  # no interface driver: the guest's bridges cannot be checked
        bridges = None
    node = conn.getInfo()  # [model, memory MiB, cpus, ...]
    return HostView(
        name=name,
        up=True,
        uuid=caps.uuid,
        guest_types=tuple(caps.as_dict()["guest_types"]),
        memory_total_mib=node[1],
        memory_committed_mib=sum(info[1] for info in infos) // 1024,
        vcpus_total=node[2],
        vcpus_committed=sum(info[3] for info in infos),
        networks=frozenset(n.name() for n in networks),
        bridges=bridges,
    )


@translated
def cpu_problem(dest: libvirt.virConnect, guest_xml: str, dest_name: str) -> str:
    """Why the CPU of `guest_xml` cannot run on `dest` (libvirt's comparison against what the
    destination's hypervisor can give), or "" when it can or names no CPU model. Given the guest's
    definition, it catches a model forced through on the source (check='none')."""
    root = etree.fromstring(guest_xml.encode())
    cpu, os_type = root.find("cpu"), root.find("os/type")
    if cpu is None or cpu.find("model") is None or os_type is None:
        return ""
    result = dest.compareHypervisorCPU(
        None, os_type.get("arch"), os_type.get("machine"), root.get("type"), etree.tostring(cpu, encoding="unicode"), 0
    )
    if result == libvirt.VIR_CPU_COMPARE_INCOMPATIBLE:
        return f"The guest's CPU ({cpu.findtext('model')}) is not compatible with what {dest_name} can give it."
    return ""


@dataclass(frozen=True)
class FileDisk:
    target: str  # vda, hdc...
    path: str
    media: bool  # a CD-ROM or read-only: never written, so never copied by the migration itself
    cache: str  # the host page cache mode, "" for QEMU's default

    @property
    def folder(self) -> str:
        return str(PurePosixPath(self.path).parent)


def file_disks(guest_xml: str) -> list[FileDisk]:
    """The guest's disks backed by a file (block devices and network disks are not moved here)."""
    disks = []
    for disk in etree.fromstring(guest_xml.encode()).iterfind("devices/disk"):
        source, target, driver = disk.find("source"), disk.find("target"), disk.find("driver")
        if source is None or not source.get("file") or target is None:
            continue
        media = disk.get("device", "disk") != "disk" or disk.find("readonly") is not None
        cache = driver.get("cache", "") if driver is not None else ""
        disks.append(FileDisk(target=target.get("dev", ""), path=source.get("file"), media=media, cache=cache))
    return disks


def page_cached_disks(guest_xml: str, folders: set[str]) -> list[str]:
    """Sentences about writable disks in `folders` (shared storage) that use the host's page cache:
    libvirt moves those only with cache mode none or directsync (else the destination could read
    what the source has not written yet)."""
    return [
        f"Disk {disk.target} is on shared storage with the host's page cache in use (cache mode "
        f"{disk.cache or 'default'}): it can only move with cache mode none or directsync."
        for disk in file_disks(guest_xml)
        if not disk.media and disk.folder in folders and disk.cache not in ("none", "directsync")
    ]


_REFRESHING = threading.Lock()  # shared-storage probes of this process, one at a time


def pool_at(conn: libvirt.virConnect, directory: str) -> libvirt.virStoragePool | None:
    """The active pool of the host whose folder is `directory`, or None."""
    for pool in conn.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE):
        path = etree.fromstring(pool.XMLDesc(0).encode()).findtext("target/path")
        if path and PurePosixPath(path) == PurePosixPath(directory):
            return pool
    return None


@translated
def storage_is_shared(source: libvirt.virConnect, dest: libvirt.virConnect, directory: str) -> bool:
    """True when `directory` is one storage for both hosts: a file made there by the destination's
    pool is seen by the source's (and removed). False when either has no pool there."""
    dest_pool, source_pool = pool_at(dest, directory), pool_at(source, directory)
    if dest_pool is None or source_pool is None:
        return False
    name = f"lvc-shared-probe-{uuid.uuid4().hex}"
    with _REFRESHING:
        probe = dest_pool.createXML(volume_xml(name, 0, "raw"), 0)
        try:
            refresh_pool(source_pool)
            source_pool.storageVolLookupByName(name)
            return True
        except libvirt.libvirtError as error:
            if error.get_error_code() != libvirt.VIR_ERR_NO_STORAGE_VOL:
                raise
            return False
        finally:
            probe.delete(0)
            refresh_pool(source_pool)


@translated
def copy_filters(source: libvirt.virConnect, dest: libvirt.virConnect, guest_xml: str) -> list[str]:
    """Define on `dest` the network filters the guest's NICs use that it lacks (with the filters they
    include); the names defined, for a rollback to remove."""
    root = etree.fromstring(guest_xml.encode())
    wanted = [ref.get("filter") for ref in root.iterfind("devices/interface/filterref") if ref.get("filter")]
    have = {f.name() for f in dest.listAllNWFilters(0)}
    defined = []
    while wanted:
        name = wanted.pop()
        if name in have:
            continue
        xml = source.nwfilterLookupByName(name).XMLDesc(0)
        wanted += [ref.get("filter") for ref in etree.fromstring(xml.encode()).iterfind("filterref")]
        dest.nwfilterDefineXML(xml)
        have.add(name)
        defined.append(name)
    return defined


def remove_filters(dest: libvirt.virConnect, names: list[str]) -> list[str]:
    """Undefine filters a migration defined (those still unused); the names that could not be."""
    left = []
    for name in reversed(names):
        try:
            dest.nwfilterLookupByName(name).undefine()
        except libvirt.libvirtError as error:
            if error.get_error_code() != libvirt.VIR_ERR_NO_NWFILTER:
                left.append(name)
    return left


@translated
def definitions_for(domain: libvirt.virDomain, console_address: str) -> tuple[str, str]:
    """(live, persistent) definitions the destination gets: the guest's own (graphics passwords
    kept), with its consoles listening on `console_address`, the destination's, instead of the
    source's (Nova's graphics_listen_addrs)."""
    flags = libvirt.VIR_DOMAIN_XML_SECURE | libvirt.VIR_DOMAIN_XML_MIGRATABLE
    live = domain.XMLDesc(flags)
    persistent = domain.XMLDesc(flags | libvirt.VIR_DOMAIN_XML_INACTIVE) if domain.isPersistent() else live
    return listening_on(live, console_address), listening_on(persistent, console_address)


def listening_on(xml: str, address: str) -> str:
    root = etree.fromstring(xml.encode())
    for graphics in root.iterfind("devices/graphics"):
        if graphics.get("listen") is not None:
            graphics.set("listen", address)
        for listen in graphics.iterfind("listen[@type='address']"):
            listen.set("address", address)
    return etree.tostring(root, encoding="unicode")


def _flags(tunables: Tunables, copy_disks: list[str], shared_proven: bool) -> int:
    flags = (
        libvirt.VIR_MIGRATE_LIVE
        | libvirt.VIR_MIGRATE_PEER2PEER
        | libvirt.VIR_MIGRATE_PERSIST_DEST
        | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE
        | libvirt.VIR_MIGRATE_ABORT_ON_ERROR
    )
    if tunables.auto_converge:
        flags |= libvirt.VIR_MIGRATE_AUTO_CONVERGE
    if tunables.post_copy:
        flags |= libvirt.VIR_MIGRATE_POSTCOPY
    if copy_disks:
        flags |= libvirt.VIR_MIGRATE_NON_SHARED_INC
    if shared_proven:
        # libvirt 9 takes a file on a local filesystem for unshared, whatever the hosts see: the
        # probe (storage_is_shared) proved it shared, and page_cached_disks its cache mode safe.
        flags |= libvirt.VIR_MIGRATE_UNSAFE
    return flags


def job_figures(domain: libvirt.virDomain) -> dict:
    """The running migration's figures (libvirt's job stats), {} when no job runs."""
    try:
        stats = domain.jobStats(0)
    except libvirt.libvirtError:
        return {}
    return stats if stats.get("type", libvirt.VIR_DOMAIN_JOB_NONE) != libvirt.VIR_DOMAIN_JOB_NONE else {}


def live_migrate(domain: libvirt.virDomain, dest_uri: str, migration_uri: str, tunables: Tunables, *,
                 copy_disks: list[str] = (), shared_proven: bool = False, definitions: tuple[str, str] | None = None,
                 progress=None) -> float:  # fmt: skip
    """Move the running guest to the host at `dest_uri` (its daemon reached by the source's daemon,
    peer to peer; the data sent to `migration_uri`, tcp://ADDR). `progress(figures)` is called
    every POLL_SECONDS. `shared_proven`: its other disks are on storage the probe found shared
    (libvirt cannot tell). `definitions`: (live, persistent) XML for the destination
    (definitions_for). A stop request (virt.stopping) aborts it: Stopped, the guest still running
    here. VirtError after `tunables.completion_timeout` (aborted too). Returns the seconds
    it took."""
    params = {libvirt.VIR_MIGRATE_PARAM_URI: migration_uri}
    if tunables.bandwidth_mib:
        params[libvirt.VIR_MIGRATE_PARAM_BANDWIDTH] = tunables.bandwidth_mib
    if copy_disks:
        params[libvirt.VIR_MIGRATE_PARAM_MIGRATE_DISKS] = list(copy_disks)
    if definitions:
        params[libvirt.VIR_MIGRATE_PARAM_DEST_XML], params[libvirt.VIR_MIGRATE_PARAM_PERSIST_XML] = definitions
    outcome: dict = {}

    def run():
        try:
            domain.migrateToURI3(dest_uri, params, _flags(tunables, list(copy_disks), shared_proven))
        except libvirt.libvirtError as error:
            outcome["error"] = error

    started = time.monotonic()
    mover = threading.Thread(target=run, name="live-migration", daemon=True)
    tuned = post_copy = timed_out = False
    with stopping.on_stop(lambda: _abort(domain)):
        mover.start()
        while mover.is_alive():
            mover.join(POLL_SECONDS)
            figures = job_figures(domain) if mover.is_alive() else {}
            if figures and not tuned:
                tuned = _set_max_downtime(domain, tunables.max_downtime_ms)
            if figures and progress is not None:
                progress(figures)
            if tunables.post_copy and not post_copy and figures.get("memory_iteration", 0) >= POST_COPY_AFTER:
                post_copy = _start_post_copy(domain)
            if not timed_out and not post_copy and time.monotonic() - started > tunables.completion_timeout:
                timed_out = True
                _abort(domain)
    stopping.check("Aborted: the guest still runs on its host.")
    if timed_out:
        raise VirtError(f"The migration did not complete within {tunables.completion_timeout} s: aborted.")
    if "error" in outcome:
        raise translate(outcome["error"])
    return time.monotonic() - started


def abort_running(domain: libvirt.virDomain) -> bool:
    """Abort the domain's migration if one runs (a job that died left it); True when one did."""
    if not job_figures(domain):
        return False
    _abort(domain)
    return True


@translated
def clear_incoming(dest: libvirt.virConnect, uuid_: str, *, timeout: float = 15) -> bool:
    """After an aborted migration whose caller is gone: wait for the destination's half-arrived
    (paused, incoming) domain to go, destroying it if it stays; True when one was destroyed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            domain = dest.lookupByUUIDString(uuid_)
            if domain.state()[0] == libvirt.VIR_DOMAIN_RUNNING:
                return False  # it arrived after all: not ours to remove
            if time.monotonic() > deadline:
                domain.destroy()
                return True
        except libvirt.libvirtError as error:
            if error.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return False  # gone (libvirt's own cleanup)
            raise
        time.sleep(0.5)


def _abort(domain: libvirt.virDomain) -> None:
    try:
        domain.abortJob()
    except libvirt.libvirtError as error:  # nothing running any more, or past the point of return
        log.info("abortJob: %s", error)


def _set_max_downtime(domain: libvirt.virDomain, milliseconds: int) -> bool:
    try:
        domain.migrateSetMaxDowntime(milliseconds, 0)
        return True
    except libvirt.libvirtError as error:
        log.info("migrateSetMaxDowntime: %s", error)
        return False


def _start_post_copy(domain: libvirt.virDomain) -> bool:
    try:
        domain.migrateStartPostCopy(0)
        return True
    except libvirt.libvirtError as error:
        log.info("migrateStartPostCopy: %s", error)
        return False


@translated
def completed_downtime(dest: libvirt.virConnect, uuid_: str) -> int | None:
    """The downtime of the migration that just ended, in ms, as the destination reports it."""
    try:
        stats = dest.lookupByUUIDString(uuid_).jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED)
    except libvirt.libvirtError:
        return None
    return stats.get("downtime")
