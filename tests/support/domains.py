"""Domains that are defined on the real host but never started: enough to prove who uses a file."""

import uuid

import libvirt

from tests.support.guest import NAME_PREFIX
from virt.xml.domain import Boot, Disk, Domain


def define_domain(conn: libvirt.virConnect, *paths: str, kernel: str = "") -> str:
    """Define a TCG domain with a raw disk on each path (and `kernel`); its name."""
    name = f"{NAME_PREFIX}{uuid.uuid4().hex[:8]}"
    disks = [Disk(target=f"vd{chr(ord('a') + index)}", source=path, format="raw") for index, path in enumerate(paths)]
    domain = Domain(name=name, uuid=str(uuid.uuid4()), vcpus=1, memory_mib=64, boot=Boot(kernel=kernel), disks=disks)
    conn.defineXML(domain.to_xml())
    return name
