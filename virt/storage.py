"""Storage pools and volumes: what a host has (read), and changes to them."""

import contextlib
import posixpath
import time

import libvirt
from lxml import etree

from virt import stopping
from virt.errors import InvalidOperation, VirtError, translated
from virt.names import NAME_RULE, InvalidName, check_name  # noqa: F401  (re-exported for forms)


def _text(tree, path: str) -> str:
    found = tree.find(path)
    return (found.text or "") if found is not None else ""


def _volumes(pool: libvirt.virStoragePool) -> list[dict]:
    volumes = []
    for volume in pool.listAllVolumes(0) if pool.isActive() else []:
        try:
            kind, capacity, allocation = volume.info()
            path, tree = volume.path(), etree.fromstring(volume.XMLDesc(0))
        except libvirt.libvirtError as error:
            if error.get_error_code() == libvirt.VIR_ERR_NO_STORAGE_VOL:
                continue  # removed while we were listing
            raise
        target_format = tree.find("target/format")
        volumes.append(
            {
                "name": volume.name(),
                "path": path,
                "capacity": capacity,
                "allocation": allocation,
                "format": target_format.get("type", "") if target_format is not None else "",
                "backing": tree.findtext("backingStore/path") or "",
            }
        )
    return sorted(volumes, key=lambda volume: volume["name"])


def read_pools(conn: libvirt.virConnect) -> list[dict]:
    """Every pool with its volumes, as plain JSON-able dicts, sorted by name."""
    pools = []
    for pool in conn.listAllStoragePools(0):
        tree = etree.fromstring(pool.XMLDesc(0))
        active = bool(pool.isActive())
        _state, capacity, allocation, available = pool.info() if active else (0, 0, 0, 0)
        pools.append(
            {
                "name": pool.name(),
                "uuid": pool.UUIDString(),
                "type": tree.get("type", ""),
                "path": _text(tree, "target/path"),
                "active": active,
                "autostart": bool(pool.autostart()),
                "persistent": bool(pool.isPersistent()),
                "capacity": capacity,
                "allocation": allocation,
                "available": available,
                "volumes": _volumes(pool),
            }
        )
    return sorted(pools, key=lambda pool: pool["name"])


# --- Changes ------------------------------------------------------------------------------------

FORMATS = ("qcow2", "raw")
CHUNK = 256 * 1024


class InvalidPath(VirtError):
    """A pool path that is not a clean absolute path."""


def check_pool_path(path: str) -> str:
    """A clean absolute directory path (no '..', no control characters), normalised."""
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 4096:
        raise InvalidPath("Enter an absolute directory path, e.g. /var/lib/libvirt/images/pool1.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in path) or ".." in path.split("/"):
        raise InvalidPath("A path cannot contain control characters or '..'.")
    clean = posixpath.normpath(path)
    if clean == "/":
        raise InvalidPath("The root directory cannot be a storage pool.")
    return clean


def _sub(parent, tag: str, text=None, **attrs):
    element = etree.SubElement(parent, tag, {key: str(value) for key, value in attrs.items()})
    if text is not None:
        element.text = str(text)
    return element


def dir_pool_xml(name: str, path: str) -> str:
    pool = etree.Element("pool", type="dir")
    _sub(pool, "name", check_name(name))
    _sub(_sub(pool, "target"), "path", check_pool_path(path))
    return etree.tostring(pool, encoding="unicode")


def volume_element(name: str, capacity: int, fmt: str | None) -> etree._Element:
    volume = etree.Element("volume")
    _sub(volume, "name", check_name(name))
    _sub(volume, "capacity", int(capacity), unit="bytes")
    _sub(volume, "allocation", 0, unit="bytes")
    if fmt:
        _sub(_sub(volume, "target"), "format", type=fmt)
    return volume


def volume_xml(name: str, capacity: int, fmt: str | None) -> str:
    return etree.tostring(volume_element(name, capacity, fmt), encoding="unicode")


@translated
def define_dir_pool(conn, *, name: str, path: str, build: bool = True, start: bool = True, autostart: bool = True):
    """Define a persistent dir pool; build its directory, start it and mark it autostart as asked.
    When a later step fails the definition is removed again, so nothing is left half done."""
    pool = conn.storagePoolDefineXML(dir_pool_xml(name, path), 0)
    try:
        if build:
            pool.build(0)
        if start:
            pool.create(0)
        pool.setAutostart(int(autostart))
    except libvirt.libvirtError:
        with contextlib.suppress(libvirt.libvirtError):
            if pool.isActive():
                pool.destroy()
            pool.undefine()
        raise
    return pool


@translated
def start_pool(conn, name: str) -> None:
    pool = conn.storagePoolLookupByName(name)
    if pool.isActive():
        raise InvalidOperation(f"Pool {name} is already running.")
    pool.create(0)


@translated
def stop_pool(conn, name: str) -> None:
    pool = conn.storagePoolLookupByName(name)
    if not pool.isActive():
        raise InvalidOperation(f"Pool {name} is not running.")
    pool.destroy()


@translated
def delete_pool(conn, name: str, *, delete_dir: bool = False) -> None:
    """Stop the pool if it runs, remove its directory if asked (only when empty), undefine it."""
    pool = conn.storagePoolLookupByName(name)
    if delete_dir and pool.isActive():
        pool.refresh(0)
        count = pool.numOfVolumes()
        if count:
            raise InvalidOperation(f"Pool {name} still holds {count} volume(s): delete them or keep the directory.")
    if pool.isActive():
        pool.destroy()
    if delete_dir:
        pool.delete(0)
    if pool.isPersistent():
        pool.undefine()


def _pool(conn, name: str):
    pool = conn.storagePoolLookupByName(name)
    if not pool.isActive():
        raise InvalidOperation(f"Pool {name} is not running: start it first.")
    return pool


@translated
def create_volume(conn, pool_name: str, *, name: str, capacity: int, fmt: str = "qcow2") -> None:
    if fmt not in FORMATS:
        raise InvalidOperation(f"Unknown volume format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    if capacity <= 0:
        raise InvalidOperation("A volume needs a capacity above zero.")
    pool = _pool(conn, pool_name)
    file_based = etree.fromstring(pool.XMLDesc(0)).get("type") in ("dir", "fs", "netfs")
    pool.createXML(volume_xml(name, capacity, fmt if file_based else None), 0)


@translated
def volume_file(conn, pool_name: str, name: str) -> tuple[str, str]:
    """(path, format) of a volume in a running pool: what a disk of a domain points at."""
    volume = _pool(conn, pool_name).storageVolLookupByName(name)
    target_format = etree.fromstring(volume.XMLDesc(0)).find("target/format")
    return volume.path(), target_format.get("type", "raw") if target_format is not None else "raw"


@translated
def delete_volume(conn, pool_name: str, name: str) -> None:
    _pool(conn, pool_name).storageVolLookupByName(name).delete(0)


@translated
def resize_volume(conn, pool_name: str, name: str, capacity: int) -> None:
    """Grow a volume to `capacity` bytes; shrinking is refused (it would destroy data)."""
    volume = _pool(conn, pool_name).storageVolLookupByName(name)
    current = volume.info()[1]
    if capacity <= current:
        raise InvalidOperation(f"A volume can only grow: {name} has {current} bytes, asked for {capacity}.")
    volume.resize(capacity, 0)


def physical_size(volume) -> int:
    """Bytes a download of `volume` yields: the file's size, or the capacity where not reported."""
    try:
        return volume.infoFlags(libvirt.VIR_STORAGE_VOL_GET_PHYSICAL)[2]
    except libvirt.libvirtError:
        return volume.info()[1]


@translated
def upload_volume(conn, pool_name: str, name: str, file, total: int, progress=None) -> int:
    """Stream `total` bytes read from `file` (open for reading, from anywhere) into the volume over
    the libvirt connection (works for remote hosts). Calls progress(done, total) after each chunk;
    returns the bytes sent."""
    pool = _pool(conn, pool_name)
    volume = pool.storageVolLookupByName(name)
    capacity = volume.info()[1]
    if total > capacity:
        raise InvalidOperation(f"The file ({total} bytes) is larger than volume {name} ({capacity} bytes).")
    done = stream_into(conn, volume, file, total, progress)
    pool.refresh(0)
    return done


REFRESH_TRIES = 50  # a pool refuses a refresh while a volume is being made or deleted in it


def refresh_pool(pool: libvirt.virStoragePool) -> None:
    """pool.refresh, waited out while the pool is busy ("asynchronous jobs running": another job
    making or deleting a volume there, e.g. the other guests of a host's drain)."""
    for attempt in range(REFRESH_TRIES):
        try:
            pool.refresh(0)
            return
        except libvirt.libvirtError as error:
            if "asynchronous jobs" not in (error.get_error_message() or "") or attempt == REFRESH_TRIES - 1:
                raise
        stopping.sleep(0.1)


def stream_into(conn, volume, file, total: int, progress=None, *, bandwidth_mib: int = 0) -> int:
    """Upload `total` bytes read from `file` into `volume` over a libvirt stream (aborted on any
    failure), at most `bandwidth_mib` MiB/s when not 0. Calls progress(done, total) after each
    chunk; returns the bytes sent. Stoppable."""
    stream = conn.newStream(0)
    done, started = 0, time.monotonic()
    try:
        volume.upload(stream, 0, total, 0)
        while chunk := file.read(CHUNK):
            view = memoryview(chunk)
            while view:
                view = view[stream.send(bytes(view)) :]
            done += len(chunk)
            if progress:
                progress(done, total)
            stopping.check(f"the copy was stopped after {done} of {total} bytes")
            if bandwidth_mib and (ahead := done / (bandwidth_mib * 1024 * 1024) - (time.monotonic() - started)) > 0:
                stopping.sleep(ahead, f"the copy was stopped after {done} of {total} bytes")
        stream.finish()
    except BaseException:
        with contextlib.suppress(libvirt.libvirtError):
            stream.abort()
        raise
    return done


class _Downloading:
    """A libvirt download stream, read like a file (by stream_into)."""

    def __init__(self, stream):
        self.stream = stream

    def read(self, size: int) -> bytes:
        return self.stream.recv(size)


def copy_volume(source, volume, dest, into, progress=None, *, bandwidth_mib: int = 0) -> int:
    """Pipe the bytes of `volume` (on the host behind `source`) into the volume `into` (on `dest`,
    possibly the same host) through two libvirt streams: no shared storage, no SSH. A qcow2 overlay
    travels as it is, naming its backing file. At most `bandwidth_mib` MiB/s when not 0. Calls
    progress(done, total) after each chunk; returns the bytes sent. Stoppable; on any failure both
    streams are aborted."""
    down = source.newStream(0)
    try:
        volume.download(down, 0, 0, 0)
        done = stream_into(dest, into, _Downloading(down), physical_size(volume), progress, bandwidth_mib=bandwidth_mib)
        down.finish()
    except BaseException:
        with contextlib.suppress(libvirt.libvirtError):
            down.abort()
        raise
    return done


@translated
def download_volume(conn, pool_name: str, name: str, file, progress=None) -> int:
    """Stream the volume into `file` (open for writing; the caller drops it when this raises) over
    the libvirt connection. Calls progress(done, total) after each chunk; returns the bytes written."""
    volume = _pool(conn, pool_name).storageVolLookupByName(name)
    total = physical_size(volume)
    stream = conn.newStream(0)
    done = 0
    try:
        volume.download(stream, 0, 0, 0)
        while chunk := stream.recv(CHUNK):
            file.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, max(total, done))
            stopping.check(f"the copy was stopped after {done} bytes; the partial file was removed")
        stream.finish()
    except BaseException:
        with contextlib.suppress(libvirt.libvirtError):
            stream.abort()
        raise
    return done
