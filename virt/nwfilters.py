"""Network filters (libvirt nwfilter): what a host has (read), and changes to them."""

import libvirt


def read_nwfilters(conn: libvirt.virConnect) -> list[dict]:
    """Every network filter's name and UUID, sorted by name."""
    filters = [{"name": nwfilter.name(), "uuid": nwfilter.UUIDString()} for nwfilter in conn.listAllNWFilters(0)]
    return sorted(filters, key=lambda nwfilter: nwfilter["name"])
