"""Which files the domains of a host need, read from the host: the disks of every domain (running
or only defined; its live and its persistent definition), its kernel, initrd, firmware and NVRAM,
and what each volume or disk image stands on (its backing file). Plain facts: storage.usage decides."""

import contextlib
from dataclasses import dataclass, field

import libvirt

from virt.errors import translated
from virt.xml.domain import parse

_OS_FILES = ("os/kernel", "os/initrd", "os/loader", "os/nvram")
_GONE = {libvirt.VIR_ERR_NO_DOMAIN, libvirt.VIR_ERR_NO_STORAGE_VOL, libvirt.VIR_ERR_NO_STORAGE_POOL}


@dataclass
class HostFiles:
    """users: {path: names of the domains using it}; backing: {path: the file it stands on};
    volumes: {path: (pool, volume name)}; pool_dirs: {pool: its target directory}."""

    users: dict[str, set[str]] = field(default_factory=dict)
    backing: dict[str, str] = field(default_factory=dict)
    volumes: dict[str, tuple[str, str]] = field(default_factory=dict)
    pool_dirs: dict[str, str] = field(default_factory=dict)

    def use(self, path: str, domain: str) -> None:
        if path:
            self.users.setdefault(path, set()).add(domain)


def _gone(error: libvirt.libvirtError) -> bool:
    return error.get_error_code() in _GONE


def _read_pools(conn: libvirt.virConnect, files: HostFiles) -> None:
    for pool in conn.listAllStoragePools(0):
        try:
            _read_pool(pool, files)
        except libvirt.libvirtError as error:
            if not _gone(error) and error.get_error_code() != libvirt.VIR_ERR_OPERATION_INVALID:
                raise  # else: stopped or removed while we were reading


def _read_pool(pool: libvirt.virStoragePool, files: HostFiles) -> None:
    name = pool.name()
    files.pool_dirs[name] = parse(pool.XMLDesc(0)).findtext("target/path", "")
    if not pool.isActive():
        return
    with contextlib.suppress(libvirt.libvirtError):  # busy (a running upload): use what it knows
        pool.refresh(0)  # files made outside libvirt (external snapshots) become volumes
    for volume in pool.listAllVolumes(0):
        try:
            path, tree = volume.path(), parse(volume.XMLDesc(0))
        except libvirt.libvirtError as error:
            if _gone(error):
                continue  # removed while we were listing
            raise
        files.volumes[path] = (name, volume.name())
        if backing := tree.findtext("backingStore/path"):
            files.backing[path] = backing


def _source(conn: libvirt.virConnect, element) -> str:
    """The host path in element's <source>: a file, a block device, or a pool's volume."""
    source = element.find("source")
    if source is None:
        return ""
    if path := source.get("file") or source.get("dev"):
        return path
    if source.get("pool") and source.get("volume"):
        try:
            return conn.storagePoolLookupByName(source.get("pool")).storageVolLookupByName(source.get("volume")).path()
        except libvirt.libvirtError as error:
            if _gone(error):
                return ""
            raise
    return ""


def _read_domain(conn: libvirt.virConnect, root, name: str, files: HostFiles) -> None:
    for tag in _OS_FILES:
        files.use((root.findtext(tag) or "").strip(), name)
    for disk in root.iterfind("devices/disk"):
        path = _source(conn, disk)
        files.use(path, name)
        store = disk.find("backingStore")  # a running domain's live definition shows its chain
        while store is not None and path:
            below = _source(conn, store)
            if below:
                files.backing.setdefault(path, below)
            path, store = below, store.find("backingStore")


def _definitions(domain: libvirt.virDomain) -> list[str]:
    """The live definition, and the persistent one too when the domain runs."""
    flags = [0]
    if domain.isActive() and domain.isPersistent():
        flags.append(libvirt.VIR_DOMAIN_XML_INACTIVE)
    return [domain.XMLDesc(flag) for flag in flags]


@translated
def read_host_files(conn: libvirt.virConnect) -> HostFiles:
    """Every file the host's domains use and every backing file its volumes and disks stand on."""
    files = HostFiles()
    _read_pools(conn, files)
    for domain in conn.listAllDomains(0):
        try:
            name, definitions = domain.name(), _definitions(domain)
        except libvirt.libvirtError as error:
            if _gone(error):
                continue  # undefined while we were listing
            raise
        for xml in definitions:
            _read_domain(conn, parse(xml), name, files)
    return files
