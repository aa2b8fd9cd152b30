"""Helpers for network tests: unique lvc-test-* names, random private subnets, cleanup, virsh, schema checks."""

import contextlib
import random
import subprocess
import uuid
from pathlib import Path

import libvirt

NAME_PREFIX = "lvc-test-"


def unique_name() -> str:
    return f"{NAME_PREFIX}{uuid.uuid4().hex[:10]}"


def unique_bridge() -> str:
    return f"lvct{uuid.uuid4().hex[:8]}"  # 12 characters: under the kernel's 15


def random_subnet() -> dict:
    """Form fields for 10.252.N.0/24 with a random N: host .1, DHCP .100 to .199."""
    n = random.randint(0, 255)
    return {"address": f"10.252.{n}.1", "prefix": 24, "dhcp_start": f"10.252.{n}.100", "dhcp_end": f"10.252.{n}.199"}


def remove_network(conn: libvirt.virConnect, name: str) -> None:
    """Stop and undefine the network when it exists. Never called with anything but lvc-test-* names."""
    assert name.startswith(NAME_PREFIX), name
    try:
        network = conn.networkLookupByName(name)
    except libvirt.libvirtError:
        return
    with contextlib.suppress(libvirt.libvirtError):
        if network.isActive():
            network.destroy()
    with contextlib.suppress(libvirt.libvirtError):
        network.undefine()


def remove_filter(conn: libvirt.virConnect, name: str) -> None:
    assert name.startswith(NAME_PREFIX), name
    with contextlib.suppress(libvirt.libvirtError):
        conn.nwfilterLookupByName(name).undefine()


def virsh(*args: str) -> str:
    return subprocess.run(
        ["virsh", "-c", "qemu:///system", *args], check=True, capture_output=True, text=True, timeout=30
    ).stdout


def net_list_row(name: str, *, all_: bool = True) -> list[str] | None:
    """The row of `virsh net-list` for `name` as [name, state, autostart, persistent], or None."""
    for line in virsh("net-list", *(["--all"] if all_ else [])).splitlines():
        fields = line.split()
        if fields and fields[0] == name:
            return fields
    return None


def assert_valid_xml(xml: str, schema: str, tmp_path: Path) -> None:
    """libvirt's own schema check (virt-xml-validate) passes on `xml`."""
    path = tmp_path / f"{uuid.uuid4().hex}.xml"
    path.write_text(xml)
    result = subprocess.run(["virt-xml-validate", str(path), schema], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"{xml}\n{result.stdout}{result.stderr}"
