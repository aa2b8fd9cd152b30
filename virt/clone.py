"""Clone: a shut-off guest's definition made the clone's — new name and UUID, NIC MACs left for
libvirt to choose, disks, serial log and the instance's own network filter renamed (the disks are
copied under the clone's names by virt.migration_storage.prepare_disks)."""

from pathlib import PurePosixPath

import libvirt
from lxml import etree

from virt import firewall
from virt.errors import translated
from virt.migration import listening_on


def renamed(path: str, old_uuid: str, new_uuid: str) -> str:
    """The clone's path for one of the guest's files: its UUID in the name replaced, else prefixed."""
    found = PurePosixPath(path)
    name = found.name.replace(old_uuid, new_uuid) if old_uuid in found.name else f"{new_uuid}-{found.name}"
    return str(found.with_name(name))


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
