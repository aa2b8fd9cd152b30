"""The disks of a live migration between hosts that do not share their storage (pre_live_migration
at the destination): each writable disk gets a volume of the same name at the same path there (an
overlay on the same base, which the destination has cached) that the migration fills; read-only
media (a config drive) is copied ahead. A cold move (resize, cold migration) copies every disk
ahead through libvirt's storage streams. What was made is undone on a rollback, what was copied is
removed from the source after a success."""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import libvirt
from lxml import etree

from virt.errors import InvalidOperation, translated
from virt.migration import file_disks, pool_at
from virt.storage import copy_volume, physical_size, refresh_pool

MIB = 1024 * 1024


@dataclass
class DiskMove:
    copy_targets: list[str] = field(default_factory=list)  # disks the migration copies (vda...)
    made: list[str] = field(default_factory=list)  # paths created at the destination
    moved: list[str] = field(default_factory=list)  # paths at the source, removed after a success
    copied_bytes: int = 0  # copied ahead (read-only media; with copy_all, every disk)
    paths: dict[str, str] = field(default_factory=dict)  # the source's path -> the one made


def volume_definition(volume: libvirt.virStorageVol, name: str = "") -> str:
    """The volume's definition as one to create elsewhere (or, named `name`, beside it): name,
    capacity, format, backing."""
    tree = etree.fromstring(volume.XMLDesc(0).encode())
    made = etree.Element("volume")
    etree.SubElement(made, "name").text = name or tree.findtext("name")
    etree.SubElement(made, "capacity", unit="bytes").text = tree.findtext("capacity")
    target = etree.SubElement(made, "target")
    etree.SubElement(target, "format", type=tree.find("target/format").get("type", "raw"))
    backing = tree.find("backingStore")
    if backing is not None and backing.findtext("path"):
        store = etree.SubElement(made, "backingStore")
        etree.SubElement(store, "path").text = backing.findtext("path")
        etree.SubElement(store, "format", type=backing.find("format").get("type", "raw"))
    return etree.tostring(made, encoding="unicode")


@translated
def prepare_disks(source: libvirt.virConnect, dest: libvirt.virConnect, guest_xml: str, folders: set[str],
                  dest_name: str, *, copy_all: bool = False, progress=None, bandwidth_mib: int = 0,
                  rename: Callable[[str], str] | None = None, skip: tuple[str, ...] = ()) -> DiskMove:  # fmt: skip
    """Make the guest's disks in `folders` (storage the two hosts do not share; but those in `skip`)
    at the destination, at the same path or, with `rename`, beside it under rename(path)'s name.
    Read-only media is copied now; writable disks are left to the live migration, or with
    `copy_all` (a guest that is off) copied now too, with progress(done, total) in bytes, at most
    `bandwidth_mib` MiB/s (0: as fast as it goes)."""
    disks = [disk for disk in file_disks(guest_xml) if disk.folder in folders and disk.path not in skip]
    volumes = [source.storageVolLookupByPath(disk.path) for disk in disks]
    sizes = [physical_size(volume) for volume in volumes]
    move, copied, total = DiskMove(), 0, sum(sizes)

    def sent(done: int, _size: int) -> None:
        if progress:
            progress(copied + done, total)

    try:
        for disk, volume, size in zip(disks, volumes, sizes, strict=True):
            pool = pool_at(dest, disk.folder)
            if pool is None:
                raise InvalidOperation(f"{dest_name} has no storage pool at {disk.folder} for {disk.target}.")
            name = PurePosixPath(rename(disk.path)).name if rename else ""
            made = pool.createXML(volume_definition(volume, name), 0)
            move.made.append(made.path())
            move.paths[disk.path] = made.path()
            if disk.media or copy_all:
                copy_volume(source, volume, dest, made, sent, bandwidth_mib=bandwidth_mib)
                copied += size
                move.copied_bytes = copied
            else:
                move.copy_targets.append(disk.target)
            move.moved.append(disk.path)
    except BaseException:
        remove_paths(dest, move.made)
        raise
    move.made += logs_in(guest_xml, folders)  # written there by the arriving guest
    return move


@translated
def space_problems(source: libvirt.virConnect, dest: libvirt.virConnect, guest_xml: str, folders: set[str],
                   dest_name: str) -> list[str]:  # fmt: skip
    """Sentences about pools of `dest` too small for the guest's disks in `folders` (to be copied)."""
    needed: dict[str, int] = {}
    for disk in (disk for disk in file_disks(guest_xml) if disk.folder in folders):
        needed[disk.folder] = needed.get(disk.folder, 0) + source.storageVolLookupByPath(disk.path).info()[2]
    problems = []
    for folder, size in needed.items():
        pool = pool_at(dest, folder)
        if pool is None:  # made when the disks are (prepare_disks says so if it cannot be)
            continue
        refresh_pool(pool)
        free = pool.info()[3]
        if size > free:
            problems.append(f"{dest_name} has not enough space in {folder}: the disks to copy take "
                            f"{size // MIB} MiB, {free // MIB} MiB are free there.")  # fmt: skip
    return problems


@translated
def missing_files(dest: libvirt.virConnect, guest_xml: str, copied: set[str], dest_name: str) -> list[str]:
    """Sentences about files the guest needs that `dest` does not have: read-only media, kernel and
    initrd outside the folders whose files are copied (`copied`) or shared. libvirt knows a file
    that is in one of the host's storage pools."""
    root = etree.fromstring(guest_xml.encode())
    wanted = [("kernel", root.findtext("os/kernel")), ("initrd", root.findtext("os/initrd"))]
    wanted += [(f"medium {disk.target}", disk.path) for disk in file_disks(guest_xml) if disk.media]
    problems = []
    for what, path in wanted:
        if not path or str(PurePosixPath(path).parent) in copied:
            continue
        if not has_volume(dest, path):
            problems.append(f"The guest's {what} is {path}, which {dest_name} does not have in any storage pool.")
    return problems


def has_volume(conn: libvirt.virConnect, path: str) -> bool:
    for attempt in range(2):
        try:
            conn.storageVolLookupByPath(path)
            return True
        except libvirt.libvirtError as error:
            if error.get_error_code() != libvirt.VIR_ERR_NO_STORAGE_VOL or attempt:
                return False
        if (pool := pool_at(conn, str(PurePosixPath(path).parent))) is None:
            return False
        refresh_pool(pool)  # a file put there outside libvirt
    return False


def logs_in(guest_xml: str, folders: set[str]) -> list[str]:
    """The guest's serial logs kept in `folders` (left behind at the source after a move)."""
    root = etree.fromstring(guest_xml.encode())
    paths = [log.get("file") for log in root.iterfind("devices/serial/log") if log.get("file")]
    return [path for path in paths if str(PurePosixPath(path).parent) in folders]


def remove_paths(conn: libvirt.virConnect, paths: list[str]) -> list[str]:
    """Delete these volumes (each on its own; their pools refreshed first: a console log is a file
    libvirt did not make); the paths that could not be."""
    for folder in {str(PurePosixPath(path).parent) for path in paths}:
        with contextlib.suppress(libvirt.libvirtError):
            if (pool := pool_at(conn, folder)) is not None:
                refresh_pool(pool)
    left = []
    for path in paths:
        try:
            conn.storageVolLookupByPath(path).delete(0)
        except libvirt.libvirtError as error:
            if error.get_error_code() != libvirt.VIR_ERR_NO_STORAGE_VOL:
                left.append(path)
    return left
