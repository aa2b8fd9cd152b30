"""Files of instances on a host: the image cache (base images copied into an image pool once)
and instance volumes (qcow2 overlays on a cached base, config drives, console logs)."""

import contextlib
import io

import libvirt
from lxml import etree

from virt.errors import translated
from virt.storage import dir_pool_xml, refresh_pool, stream_into, upload_volume, volume_element, volume_xml
from virt.xml.domain import sub


@translated
def ensure_pool(conn: libvirt.virConnect, name: str, path: str) -> str:
    """The dir pool `name` running (defined, built and started when missing); returns its path."""
    try:
        pool = conn.storagePoolLookupByName(name)
    except libvirt.libvirtError as error:
        if error.get_error_code() != libvirt.VIR_ERR_NO_STORAGE_POOL:
            raise
        try:
            pool = conn.storagePoolDefineXML(dir_pool_xml(name, path), 0)
            pool.build(0)
            pool.setAutostart(1)
        except libvirt.libvirtError:  # defined meanwhile by another job (a drain's other guest)
            pool = conn.storagePoolLookupByName(name)
    if not pool.isActive():
        try:
            pool.create(0)
        except libvirt.libvirtError:
            if not pool.isActive():  # else started meanwhile by another job
                raise
    refresh_pool(pool)
    return etree.fromstring(pool.XMLDesc(0)).findtext("target/path")


def _pool_or_none(conn: libvirt.virConnect, name: str) -> libvirt.virStoragePool | None:
    try:
        return conn.storagePoolLookupByName(name)
    except libvirt.libvirtError as error:
        if error.get_error_code() == libvirt.VIR_ERR_NO_STORAGE_POOL:
            return None
        raise


def _lookup(pool: libvirt.virStoragePool, name: str) -> libvirt.virStorageVol | None:
    try:
        return pool.storageVolLookupByName(name)
    except libvirt.libvirtError as error:
        if error.get_error_code() == libvirt.VIR_ERR_NO_STORAGE_VOL:
            return None
        raise


@translated
def cache_file(conn, pool_name: str, volume: str, open_source, *, size: int, progress=None,
               complete: bool = True) -> tuple[str, bool]:  # fmt: skip
    """Copy the file `open_source()` opens (`size` bytes) into the image pool as `volume` unless it
    is there already (and known `complete`: one found otherwise, left by a copy that died, is
    copied anew).
    Returns (path on the host, copied now). A failed copy leaves no partial volume behind."""
    pool = conn.storagePoolLookupByName(pool_name)
    existing = _lookup(pool, volume)
    if existing is not None and complete:
        return existing.path(), False
    if existing is not None:
        existing.delete(0)
    created = pool.createXML(volume_xml(volume, max(size, 1), "raw"), 0)
    try:
        with open_source() as source:
            upload_volume(conn, pool_name, volume, source, size, progress)
    except BaseException:
        with contextlib.suppress(libvirt.libvirtError):
            created.delete(0)
        raise
    return created.path(), True


@translated
def capacity_of(conn, path: str) -> int:
    """Virtual size in bytes of the volume at `path` (for qcow2: what the guest sees)."""
    return conn.storageVolLookupByPath(path).info()[1]


@translated
def create_overlay(conn, pool_name: str, name: str, *, backing: str, backing_format: str, capacity: int) -> str:
    """A qcow2 volume whose backing file is the cached base at `backing`; returns its path."""
    volume = volume_element(name, capacity, "qcow2")
    store = sub(volume, "backingStore")
    sub(store, "path", backing)
    sub(store, "format", type=backing_format)
    pool = conn.storagePoolLookupByName(pool_name)
    return pool.createXML(etree.tostring(volume, encoding="unicode"), 0).path()


@translated
def create_blank(conn, pool_name: str, name: str, *, capacity: int) -> str:
    pool = conn.storagePoolLookupByName(pool_name)
    return pool.createXML(volume_xml(name, capacity, "qcow2"), 0).path()


@translated
def write_volume(conn, pool_name: str, name: str, data: bytes) -> str:
    """A raw volume holding exactly `data` (e.g. a config drive ISO); returns its path."""
    pool = conn.storagePoolLookupByName(pool_name)
    volume = pool.createXML(volume_xml(name, len(data), "raw"), 0)
    try:
        stream_into(conn, volume, io.BytesIO(data), len(data))
    except BaseException:
        with contextlib.suppress(libvirt.libvirtError):
            volume.delete(0)
        raise
    return volume.path()


@translated
def delete_paths(conn, paths) -> list[str]:
    """Delete the volumes at these paths (those libvirt knows as volumes); returns the deleted."""
    deleted = []
    for path in paths:
        try:
            conn.storageVolLookupByPath(path).delete(0)
        except libvirt.libvirtError as error:
            if error.get_error_code() == libvirt.VIR_ERR_NO_STORAGE_VOL:
                continue
            raise
        deleted.append(path)
    return deleted


@translated
def delete_named(conn, pool_name: str, names) -> list[str]:
    """Delete the volumes of `pool_name` with these names, refreshing the pool first (files libvirt
    wrote itself, like console logs, are only volumes after a refresh)."""
    pool = _pool_or_none(conn, pool_name)
    if pool is None:
        return []
    pool.refresh(0)
    deleted = []
    for name in names:
        volume = _lookup(pool, name)
        if volume is not None:
            volume.delete(0)
            deleted.append(name)
    return deleted


@translated
def volume_path(conn, pool_name: str, name: str) -> str | None:
    pool = _pool_or_none(conn, pool_name)
    volume = _lookup(pool, name) if pool is not None else None
    return volume.path() if volume is not None else None


@translated
def backing_paths(conn, pool_name: str) -> set[str]:
    """Backing files of the volumes in `pool_name` (what overlays there still need)."""
    pool = _pool_or_none(conn, pool_name)
    if pool is None:
        return set()
    pool.refresh(0)
    found = set()
    for volume in pool.listAllVolumes(0):
        path = etree.fromstring(volume.XMLDesc(0)).findtext("backingStore/path")
        if path:
            found.add(path)
    return found
