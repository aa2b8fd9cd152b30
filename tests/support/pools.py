"""Removing a storage pool a test made, whatever state it is in."""

import contextlib

import libvirt


def remove_pool(conn: libvirt.virConnect, name: str) -> None:
    """Delete the pool's volumes, stop it, remove its directory and definition: whatever exists."""
    try:
        pool = conn.storagePoolLookupByName(name)
    except libvirt.libvirtError:
        return
    if not pool.isActive():
        with contextlib.suppress(libvirt.libvirtError):
            pool.create(0)
    if pool.isActive():
        with contextlib.suppress(libvirt.libvirtError):
            pool.refresh(0)  # one that fails (its directory gone) stops the pool
    if pool.isActive():
        for volume in pool.listAllVolumes(0):
            with contextlib.suppress(libvirt.libvirtError):
                volume.delete(0)
        pool.destroy()
    with contextlib.suppress(libvirt.libvirtError):
        pool.delete(0)
    if pool.isPersistent():
        pool.undefine()
