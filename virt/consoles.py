"""A guest's graphical console: where it listens, and the short-lived password it is opened with.

Every guest the console defines has a VNC/SPICE password (so the port never accepts security
type None); the console proxy replaces it with one of its own, valid for a few seconds, each time
a browser connects with a ticket, as oVirt does. Someone who reaches the host's console address
directly has neither."""

import secrets
from datetime import UTC, datetime, timedelta

import libvirt
from lxml import etree

from virt.errors import InvalidOperation, Unsupported, translated
from virt.xml.domain import Domain

PASSWORD_LENGTH = 8  # VNC authentication uses the first 8 characters of a password


def unguessable_password() -> str:
    return secrets.token_urlsafe(PASSWORD_LENGTH)[:PASSWORD_LENGTH]


def _running(conn: libvirt.virConnect, uuid: str) -> libvirt.virDomain:
    domain = conn.lookupByUUIDString(uuid)
    if not domain.isActive():
        raise InvalidOperation(f"{domain.name()} is not running: start it to open its console.")
    return domain


@translated
def graphics_port(conn: libvirt.virConnect, uuid: str, kind: str) -> int:
    """The port of the guest's `kind` ("vnc"/"spice") graphics; clear errors when the guest is
    off or has no such console."""
    return _port(_running(conn, uuid), kind)


def _port(domain: libvirt.virDomain, kind: str) -> int:
    for graphics in Domain.from_xml(domain.XMLDesc(0)).graphics:
        if graphics.type == kind and graphics.port > 0:
            return graphics.port
    raise Unsupported(f"{domain.name()} has no {kind.upper()} console.")


@translated
def admit(conn: libvirt.virConnect, uuid: str, kind: str, password: str, *, valid_for: int) -> int:
    """Set `password` on the guest's running `kind` console, valid for `valid_for` seconds (open
    connections stay), and return the console's port."""
    domain = _running(conn, uuid)
    port = _port(domain, kind)
    element = etree.fromstring(domain.XMLDesc(0)).find(f"devices/graphics[@type='{kind}']")
    until = datetime.now(UTC) + timedelta(seconds=valid_for)
    element.set("passwd", password)
    element.set("passwdValidTo", until.strftime("%Y-%m-%dT%H:%M:%S"))
    element.set("connected", "keep")
    try:
        domain.updateDeviceFlags(etree.tostring(element, encoding="unicode"), libvirt.VIR_DOMAIN_AFFECT_LIVE)
    except libvirt.libvirtError as error:
        if domain.isActive() and "password" in (error.get_error_message() or "").lower():
            raise Unsupported(
                f"{domain.name()}'s {kind.upper()} console was started without password protection, so the "
                "console will not open it (anyone reaching the host could). Define it with a console "
                "password (instances this console creates have one) and start it again."
            ) from None
        raise
    return port
