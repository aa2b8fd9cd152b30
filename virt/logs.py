"""A guest's console log, read through libvirt's storage API so it works for remote hosts too
(the log sits in a dir pool on the host; its tail is downloaded over the connection)."""

import contextlib

import libvirt

from virt.errors import NotFound, translated

CHUNK = 256 * 1024


@translated
def read_tail(conn: libvirt.virConnect, path: str, *, max_bytes: int) -> tuple[bytes, int]:
    """The last `max_bytes` of the file at `path` on the host, and the file's whole size."""
    volume = _volume(conn, path)
    size = volume.infoFlags(libvirt.VIR_STORAGE_VOL_GET_PHYSICAL)[2]
    start = max(0, size - max_bytes)
    if size == start:
        return b"", size
    stream = conn.newStream(0)
    data = bytearray()
    try:
        volume.download(stream, start, size - start, 0)
        while chunk := stream.recv(CHUNK):
            data.extend(chunk)
        stream.finish()
    except BaseException:
        with contextlib.suppress(libvirt.libvirtError):
            stream.abort()
        raise
    return bytes(data), size


@translated
def log_size(conn: libvirt.virConnect, path: str) -> int:
    """How many bytes the guest has written to its console log so far."""
    return _volume(conn, path).infoFlags(libvirt.VIR_STORAGE_VOL_GET_PHYSICAL)[2]


def _volume(conn: libvirt.virConnect, path: str) -> libvirt.virStorageVol:
    """The volume at `path`, refreshing the pools first: libvirt writes the log itself, so the
    pool only lists it after a refresh."""
    try:
        return conn.storageVolLookupByPath(path)
    except libvirt.libvirtError as error:
        if error.get_error_code() != libvirt.VIR_ERR_NO_STORAGE_VOL:
            raise
    for pool in conn.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE):
        with contextlib.suppress(libvirt.libvirtError):
            pool.refresh(0)
    try:
        return conn.storageVolLookupByPath(path)
    except libvirt.libvirtError as error:
        if error.get_error_code() == libvirt.VIR_ERR_NO_STORAGE_VOL:
            message = f"The console log {path} is not in a storage pool of the host, so it cannot be read."
            raise NotFound(message) from None
        raise
