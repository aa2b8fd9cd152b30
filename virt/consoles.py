"""Where a guest's graphical console listens, read from its live definition."""

import libvirt

from virt.errors import InvalidOperation, Unsupported, translated
from virt.xml.domain import Domain


@translated
def graphics_port(conn: libvirt.virConnect, uuid: str, kind: str) -> int:
    """The port of the guest's `kind` ("vnc"/"spice") graphics; clear errors when the guest is
    off or has no such console."""
    domain = conn.lookupByUUIDString(uuid)
    if not domain.isActive():
        raise InvalidOperation(f"{domain.name()} is not running: start it to open its console.")
    for graphics in Domain.from_xml(domain.XMLDesc(0)).graphics:
        if graphics.type == kind and graphics.port > 0:
            return graphics.port
    raise Unsupported(f"{domain.name()} has no {kind.upper()} console.")
