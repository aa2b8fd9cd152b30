"""Storage pools and volumes: what a host has (read), and changes to them."""

import libvirt
from lxml import etree


def _text(tree, path: str) -> str:
    found = tree.find(path)
    return (found.text or "") if found is not None else ""


def _volumes(pool: libvirt.virStoragePool) -> list[dict]:
    volumes = []
    for volume in pool.listAllVolumes(0) if pool.isActive() else []:
        try:
            kind, capacity, allocation = volume.info()
            tree = etree.fromstring(volume.XMLDesc(0))
        except libvirt.libvirtError as error:
            if error.get_error_code() == libvirt.VIR_ERR_NO_STORAGE_VOL:
                continue  # removed while we were listing
            raise
        target_format = tree.find("target/format")
        volumes.append(
            {
                "name": volume.name(),
                "path": volume.path(),
                "capacity": capacity,
                "allocation": allocation,
                "format": target_format.get("type", "") if target_format is not None else "",
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
