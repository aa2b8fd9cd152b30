"""Network filters (libvirt nwfilter): what a host has (read), and changes to them."""

import libvirt
from lxml import etree

from virt.errors import InvalidOperation, VirtError, translate
from virt.names import check_name

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
MAX_XML = 100_000


class InvalidFilter(VirtError):
    """Filter XML that is refused before libvirt sees it, or that libvirt refused."""


def _describe(nwfilter: libvirt.virNWFilter) -> dict:
    xml = nwfilter.XMLDesc(0)
    tree = etree.fromstring(xml)
    return {
        "name": nwfilter.name(),
        "uuid": nwfilter.UUIDString(),
        "chain": tree.get("chain", "root"),
        "priority": tree.get("priority", ""),
        "rules": len(tree.findall("rule")),
        "refs": [ref.get("filter", "") for ref in tree.findall("filterref")],
        "xml": xml,
    }


def read_nwfilters(conn: libvirt.virConnect) -> list[dict]:
    """Every network filter (name, UUID, chain, priority, rule count, referenced filters, XML), by name."""
    filters = []
    for nwfilter in conn.listAllNWFilters(0):
        try:
            filters.append(_describe(nwfilter))
        except libvirt.libvirtError as error:
            if error.get_error_code() != libvirt.VIR_ERR_NO_NWFILTER:
                raise  # else: undefined while we were listing
    return sorted(filters, key=lambda nwfilter: nwfilter["name"])


def parse_filter_xml(text: str) -> tuple[str, str, str]:
    """Check an admin's filter XML: well-formed, a <filter> root with a valid name.

    Returns (name, uuid or "", the XML re-serialized without DOCTYPE or processing instructions)."""
    if not text or not text.strip():
        raise InvalidFilter("Enter the filter's XML.")
    if len(text) > MAX_XML:
        raise InvalidFilter(f"The XML is longer than {MAX_XML:,} characters.")
    try:
        root = etree.fromstring(text.strip().encode(), _PARSER)
    except etree.XMLSyntaxError as error:
        raise InvalidFilter(f"This is not well-formed XML: {error}") from None
    if root.tag != "filter":
        raise InvalidFilter(f"The root element must be <filter>, not <{root.tag}>.")
    name = root.get("name")
    if name is None:
        raise InvalidFilter("The <filter> element needs a name attribute.")
    try:
        check_name(name)
    except VirtError as error:
        raise InvalidFilter(str(error)) from None
    uuid = (root.findtext("uuid") or "").strip()
    return name, uuid, etree.tostring(root, encoding="unicode")


def define_filter(conn: libvirt.virConnect, text: str) -> str:
    """Define (or redefine, same name and UUID) a filter from XML; returns its name."""
    _name, _uuid, xml = parse_filter_xml(text)
    try:
        return conn.nwfilterDefineXML(xml).name()
    except libvirt.libvirtError as error:
        translated = translate(error)
        if type(translated) is VirtError:  # not a known kind: libvirt refused the XML
            raise InvalidFilter(f"libvirt refused the filter: {translated.detail}", detail=translated.detail) from None
        raise translated from None


def undefine_filter(conn: libvirt.virConnect, name: str) -> None:
    """Remove a filter. libvirt refuses one that a running guest's interface uses."""
    try:
        nwfilter = conn.nwfilterLookupByName(name)
        nwfilter.undefine()
    except libvirt.libvirtError as error:
        translated = translate(error)
        if isinstance(translated, InvalidOperation):
            raise InvalidOperation(
                f"Filter {name} is in use (by a guest's interface), so it stays: {translated.detail}",
                detail=translated.detail,
            ) from None
        raise translated from None
