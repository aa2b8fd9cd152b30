"""Clone: a shut-off guest's disks copied (through libvirt's storage streams, to its host or another)
under the clone's names, and its definition made the clone's — new name and UUID, NIC MACs left
for libvirt to choose, disks, serial log and the instance's own network filter renamed."""

from dataclasses import dataclass, field
from pathlib import PurePosixPath

import libvirt
from lxml import etree

from virt import firewall
from virt.errors import InvalidOperation, translated
from virt.migration import file_disks, listening_on, pool_at
from virt.migration_storage import remove_paths, volume_definition
from virt.storage import copy_volume, physical_size


def renamed(path: str, old_uuid: str, new_uuid: str) -> str:
    """The clone's path for one of the guest's files: its UUID in the name replaced, else prefixed."""
    found = PurePosixPath(path)
    name = found.name.replace(old_uuid, new_uuid) if old_uuid in found.name else f"{new_uuid}-{found.name}"
    return str(found.with_name(name))


@dataclass
class Copies:
    paths: dict[str, str] = field(default_factory=dict)  # the guest's path -> the clone's
    made: list[str] = field(default_factory=list)  # at the destination, removed on a failure


@translated
def copy_disks(source: libvirt.virConnect, dest: libvirt.virConnect, xml: str, new_uuid: str, dest_name: str,
               progress=None, *, skip: tuple[str, ...] = ()) -> Copies:  # fmt: skip
    """Every file disk of the guest (but `skip`) copied into the same folder's pool at `dest`
    under the clone's name; progress(done, total) in bytes. Nothing is left made on a failure."""
    old_uuid = etree.fromstring(xml.encode()).findtext("uuid")
    disks = [disk for disk in file_disks(xml) if disk.path not in skip]
    volumes = [source.storageVolLookupByPath(disk.path) for disk in disks]
    total, copied, copies = sum(physical_size(volume) for volume in volumes), 0, Copies()

    def sent(done: int, _size: int) -> None:
        if progress:
            progress(copied + done, total)

    try:
        for disk, volume in zip(disks, volumes, strict=True):
            pool = pool_at(dest, disk.folder)
            if pool is None:
                raise InvalidOperation(f"{dest_name} has no storage pool at {disk.folder} for {disk.target}.")
            target = renamed(disk.path, old_uuid, new_uuid)
            made = pool.createXML(volume_definition(volume, PurePosixPath(target).name), 0)
            copies.made.append(made.path())
            copied += copy_volume(source, volume, dest, made, sent)
            copies.paths[disk.path] = made.path()
    except BaseException:
        remove_paths(dest, copies.made)
        raise
    return copies


def cloned_definition(xml: str, *, name: str, new_uuid: str, paths: dict[str, str], console_address: str) -> str:
    """The clone's definition: `name`, `new_uuid`, no MACs (libvirt picks new ones), file sources
    and serial logs moved to the clone's paths (`paths`, else renamed beside), its own filter."""
    root = etree.fromstring(xml.encode())
    old_uuid = root.findtext("uuid")
    root.find("name").text, root.find("uuid").text = name, new_uuid
    for mac in root.findall("devices/interface/mac"):
        mac.getparent().remove(mac)
    for source in root.iterfind("devices/disk/source"):
        if source.get("file") in paths:
            source.set("file", paths[source.get("file")])
    for log in root.iterfind("devices/serial/log"):
        log.set("file", renamed(log.get("file"), old_uuid, new_uuid))
    for ref in root.iterfind("devices/interface/filterref"):
        if ref.get("filter") == firewall.filter_name(old_uuid):
            ref.set("filter", firewall.filter_name(new_uuid))
    return listening_on(etree.tostring(root, encoding="unicode"), console_address)


@translated
def clone_filter(source: libvirt.virConnect, dest: libvirt.virConnect, old_uuid: str, new_uuid: str) -> str:
    """The guest's own network filter, when it has one, defined at `dest` for the clone on the same
    base filter; its name, "" when there is none."""
    try:
        xml = source.nwfilterLookupByName(firewall.filter_name(old_uuid)).XMLDesc(0)
    except libvirt.libvirtError as error:
        if error.get_error_code() == libvirt.VIR_ERR_NO_NWFILTER:
            return ""
        raise
    ref = etree.fromstring(xml.encode()).find("filterref")
    return firewall.define_instance_filter(dest, new_uuid, ref.get("filter")) if ref is not None else ""
