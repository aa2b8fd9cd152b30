"""Snapshots of a domain, through libvirt only (so remote hosts work the same):

- internal snapshots: disks (and, for a running guest, memory) saved inside the qcow2 files, in a
  tree libvirt keeps: create, list, revert, delete. Disks that cannot hold an internal snapshot
  (raw files, read-only CD-ROMs such as the config drive) are marked snapshot='no'.
- external disk-only snapshots: a new qcow2 overlay volume next to the disk's file (same pool)
  takes the guest's writes from then on; no libvirt metadata is kept (libvirt 9.0 cannot delete
  external snapshots), the overlay's name says what it is. Removed by an active block commit:
  the overlay's data merged into the file below it, the guest switched back, the overlay deleted.
- export: a disk's current content as a new flat qcow2 volume (for snapshot → image)."""

import os

import libvirt
from lxml import etree

from virt import blockjobs
from virt.devices import elements
from virt.errors import Unsupported, VirtError, translated
from virt.names import check_name
from virt.storage import volume_element, volume_xml
from virt.xml.domain import disk_source, parse, sub
from virt.xml.edit import disk_target, set_disk_source

OVERLAY_MARK = "-snap-"


class SnapshotError(VirtError):
    """A snapshot change that cannot be made; the message says why."""


def _format(disk: etree._Element) -> str:
    return disk.find("driver").get("type", "") if disk.find("driver") is not None else ""


def _disk(domain: libvirt.virDomain, target: str) -> etree._Element:
    for disk in elements(domain, "disk"):
        if disk_target(disk) == target and disk.get("device", "disk") == "disk" and disk_source(disk):
            return disk
    raise SnapshotError(f"This instance has no disk {target}.")


def _snapshot(domain: libvirt.virDomain, name: str) -> libvirt.virDomainSnapshot:
    try:
        return domain.snapshotLookupByName(name, 0)
    except libvirt.libvirtError as error:
        if error.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT:
            raise SnapshotError(f"This instance has no snapshot {name!r} (deleted meanwhile?).") from None
        raise


def internal_snapshot_xml(name: str, description: str, disks: list[etree._Element]) -> str:
    """A <domainsnapshot> taking writable qcow2 disks internally and leaving every other disk out."""
    root = etree.Element("domainsnapshot")
    sub(root, "name", check_name(name))
    if description:
        sub(root, "description", description)
    spec = sub(root, "disks")
    taken = 0
    for disk in disks:
        writable = disk.get("device", "disk") == "disk" and bool(disk_source(disk)) and disk.find("readonly") is None
        if writable and _format(disk) != "qcow2":
            raise SnapshotError(f"Internal snapshots need every writable disk in qcow2: {disk_target(disk)} is "
                                f"{_format(disk) or 'raw'}. Detach it, or take an external disk snapshot.")  # fmt: skip
        taken += writable
        sub(spec, "disk", name=disk_target(disk), snapshot="internal" if writable else "no")
    if not taken:
        raise SnapshotError("Internal snapshots need a writable qcow2 disk; this instance has none.")
    return etree.tostring(root, encoding="unicode")


@translated
def create_snapshot(domain: libvirt.virDomain, name: str, description: str = "") -> None:
    """An internal snapshot of the disks, with memory when the guest runs (or is paused)."""
    if name in domain.snapshotListNames(0):
        raise SnapshotError(f"A snapshot named {name} already exists on this instance.")
    xml = internal_snapshot_xml(name, description, elements(domain, "disk"))
    domain.snapshotCreateXML(xml, libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC)


@translated
def list_snapshots(domain: libvirt.virDomain) -> list[dict]:
    """The snapshot tree, flat and oldest first: name, parent ("" for a root), created (epoch s),
    state, description, memory (saved with it), current (the one the guest descends from)."""
    found = []
    for snapshot in domain.listAllSnapshots(0):
        root = parse(snapshot.getXMLDesc(0))
        memory = root.find("memory")
        found.append({
            "name": snapshot.getName(),
            "parent": root.findtext("parent/name") or "",
            "created": int(root.findtext("creationTime") or 0),
            "state": root.findtext("state") or "",
            "description": root.findtext("description") or "",
            "memory": memory is not None and memory.get("snapshot") not in (None, "no"),
            "current": bool(snapshot.isCurrent(0)),
        })  # fmt: skip
    return sorted(found, key=lambda item: (item["created"], item["name"]))


def snapshot_details(domain: libvirt.virDomain, xml: str) -> dict:
    """For the instance page: {"snapshots": the tree, "disk_snapshots": overlays in `xml`};
    nothing for drivers without snapshots (LXC)."""
    try:
        return {"snapshots": list_snapshots(domain), "disk_snapshots": disk_snapshots(domain, xml)}
    except Unsupported:
        return {}


@translated
def revert_snapshot(domain: libvirt.virDomain, name: str) -> None:
    """Back to the snapshot: disks and, when it has memory, the running guest as it was then."""
    domain.revertToSnapshot(_snapshot(domain, name), 0)


@translated
def delete_snapshot(domain: libvirt.virDomain, name: str, *, children: bool = False) -> None:
    """Delete the snapshot (its children are re-parented), or with children=True its subtree."""
    _snapshot(domain, name).delete(libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN if children else 0)


# --- External disk-only snapshots -------------------------------------------------------------


def overlay_name(uuid: str, target: str, name: str) -> str:
    return f"{uuid}-{target}{OVERLAY_MARK}{check_name(name)}.qcow2"


def _overlay_of(uuid: str, disk: etree._Element) -> str:
    """The snapshot name when the disk's active file is one of our overlays, else ""."""
    base = os.path.basename(disk_source(disk))
    prefix = f"{uuid}-{disk_target(disk)}{OVERLAY_MARK}"
    return base[len(prefix) : -len(".qcow2")] if base.startswith(prefix) and base.endswith(".qcow2") else ""


@translated
def disk_snapshots(domain: libvirt.virDomain, xml: str = "") -> list[dict]:
    """Disks now running on one of our overlays (in `xml`, else the live definition): target,
    name, overlay path, base (the file below)."""
    found = []
    for disk in parse(xml).findall("devices/disk") if xml else elements(domain, "disk"):
        name = _overlay_of(domain.UUIDString(), disk)
        if name:
            below = disk.find("backingStore/source")
            found.append({"target": disk_target(disk), "name": name, "overlay": disk_source(disk),
                          "base": below.get("file", "") if below is not None else ""})  # fmt: skip
    return found


@translated
def external_snapshot(domain: libvirt.virDomain, target: str, name: str) -> str:
    """Put a new overlay (in the pool of the disk's file) on top of the running disk at `target`;
    the guest writes to it from now on. Returns the overlay's path."""
    if not domain.isActive():
        raise SnapshotError("An external disk snapshot needs the guest running (it is committed back live).")
    disk = _disk(domain, target)
    source, conn = disk_source(disk), domain.connect()
    try:
        pool = conn.storageVolLookupByPath(source).storagePoolLookupByVolume()
    except libvirt.libvirtError:
        raise SnapshotError(f"{target} is not a volume of a storage pool.") from None
    volume_name = overlay_name(domain.UUIDString(), target, name)
    if volume_name in pool.listVolumes():
        raise SnapshotError(f"{target} already has a snapshot named {name}.")
    element = volume_element(volume_name, domain.blockInfo(target, 0)[0], "qcow2")
    store = sub(element, "backingStore")
    sub(store, "path", source)
    sub(store, "format", type=_format(disk) or "raw")
    overlay = pool.createXML(etree.tostring(element, encoding="unicode"), 0)
    root = etree.Element("domainsnapshot")
    sub(root, "name", name)
    spec = sub(root, "disks")
    for other in elements(domain, "disk"):
        if disk_target(other) == target:
            entry = sub(spec, "disk", name=target, snapshot="external", type="file")
            sub(entry, "driver", type="qcow2")
            sub(entry, "source", file=overlay.path())
        else:
            sub(spec, "disk", name=disk_target(other), snapshot="no")
    flags = (libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT
             | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC)  # fmt: skip
    try:
        domain.snapshotCreateXML(etree.tostring(root, encoding="unicode"), flags)
    except BaseException:
        overlay.delete(0)
        raise
    return overlay.path()


@translated
def commit_overlay(domain: libvirt.virDomain, target: str, *, progress=None, timeout: float = 3600) -> str:
    """Merge the overlay the disk at `target` runs on into the file below it (active block commit,
    shallow: only that one file is written, never a shared base image), switch the guest back to
    that file, and delete the overlay. Returns the deleted overlay's path."""
    if not domain.isActive():
        raise SnapshotError("Committing a disk snapshot needs the guest running.")
    disk = _disk(domain, target)
    overlay = disk_source(disk)
    base = next((item["base"] for item in disk_snapshots(domain) if item["target"] == target), "")
    if not base:
        raise SnapshotError(f"{target} has no external snapshot to commit.")
    flags = libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE | libvirt.VIR_DOMAIN_BLOCK_COMMIT_SHALLOW
    domain.blockCommit(target, None, None, 0, flags)
    try:
        blockjobs.finish_when_ready(domain, target, what="commit of", pivot=True, timeout=timeout, progress=progress)
    except BaseException:
        blockjobs.abort(domain, target)
        raise
    _persist_source(domain, target, base)
    volume = domain.connect().storageVolLookupByPath(overlay)
    volume.delete(0)
    return overlay


def _persist_source(domain: libvirt.virDomain, target: str, source: str) -> None:
    """Make the persistent definition's disk at `target` use `source` (libvirt may not follow a pivot)."""
    if not domain.isPersistent():
        return
    persistent = elements(domain, "disk", inactive=True)
    if any(disk_target(disk) == target and disk_source(disk) == source for disk in persistent):
        return
    root = parse(domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE))
    set_disk_source(root, target, source)
    domain.connect().defineXML(etree.tostring(root, encoding="unicode"))


@translated
def overlay_volumes(conn: libvirt.virConnect, pool_name: str, uuid: str) -> list[str]:
    """Names of the instance's overlay volumes left in `pool_name` (for deleting the instance)."""
    try:
        pool = conn.storagePoolLookupByName(pool_name)
    except libvirt.libvirtError:
        return []
    pool.refresh(0)
    return [name for name in pool.listVolumes() if name.startswith(f"{uuid}-") and OVERLAY_MARK in name]


# --- Export -------------------------------------------------------------------------------------


@translated
def export_disk(domain: libvirt.virDomain, target: str, *, pool_name: str, name: str, progress=None,
                timeout: float = 3600) -> str:  # fmt: skip
    """Copy what the disk at `target` holds now (its whole backing chain, flattened) into a new
    qcow2 volume `name` of `pool_name`; returns its path. A running guest keeps running: a block
    copy that is ended, not pivoted, once it caught up (crash-consistent at that moment). A guest
    that is off: the pool clones the volume."""
    disk = _disk(domain, target)
    conn = domain.connect()
    pool = conn.storagePoolLookupByName(pool_name)
    if not domain.isActive():
        source = conn.storageVolLookupByPath(disk_source(disk))
        return pool.createXMLFrom(volume_xml(name, source.info()[1], "qcow2"), source, 0).path()
    volume = pool.createXML(volume_xml(name, domain.blockInfo(target, 0)[0], "qcow2"), 0)
    destination = etree.Element("disk", type="file")
    sub(destination, "driver", name="qemu", type="qcow2")
    sub(destination, "source", file=volume.path())
    flags = libvirt.VIR_DOMAIN_BLOCK_COPY_REUSE_EXT | libvirt.VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB
    try:
        domain.blockCopy(target, etree.tostring(destination, encoding="unicode"), None, flags)
        try:
            blockjobs.finish_when_ready(domain, target, what="copy of", pivot=False, timeout=timeout,
                                        progress=progress)  # fmt: skip
        except BaseException:
            blockjobs.abort(domain, target)
            raise
    except BaseException:
        volume.delete(0)
        raise
    return volume.path()
