"""A host's objects besides guests (pools and volumes, networks, network filters), read in one go.

A driver that has no such objects (the LXC driver has no storage, say) gives an empty list."""

import libvirt

from virt.networks import read_networks
from virt.nwfilters import read_nwfilters
from virt.storage import read_pools

READERS = {"pools": read_pools, "networks": read_networks, "nwfilters": read_nwfilters}
_UNSUPPORTED = {libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED, libvirt.VIR_ERR_OPERATION_UNSUPPORTED}


def read_inventory(conn: libvirt.virConnect) -> dict:
    inventory = {}
    for name, read in READERS.items():
        try:
            inventory[name] = read(conn)
        except libvirt.libvirtError as error:
            if error.get_error_code() not in _UNSUPPORTED:
                raise
            inventory[name] = []
    return inventory
