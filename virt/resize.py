"""Resize and cold migration on the hypervisors: the guest's definition with its new size, its
writable disks set aside on their own storage (what a revert puts back, where the resized guest
uses the same files), and the root disk grown. Disks that move to another host's own storage are
copied by virt.migration_storage.prepare_disks."""

import contextlib
from pathlib import PurePosixPath

import libvirt
from lxml import etree

from virt.errors import InvalidOperation, translated
from virt.migration import file_disks, listening_on
from virt.migration_storage import volume_definition
from virt.storage import copy_volume
from virt.xml.edit import set_size

ASIDE = ".pre-resize"  # the copy of `name.qcow2` kept for a revert is `name.pre-resize.qcow2`


def resized_definition(xml: str, *, vcpus: int, memory_mib: int, console_address: str, max_vcpus: int = 0,
                       max_memory_mib: int = 0) -> str:  # fmt: skip
    """The guest's definition with the new size (and room to grow to the max_ ones), its consoles
    listening on `console_address` (the host it is defined on)."""
    root = etree.fromstring(xml.encode())
    try:
        set_size(root, vcpus=vcpus, memory_mib=memory_mib, max_vcpus=max_vcpus, max_memory_mib=max_memory_mib)
    except ValueError as error:
        raise InvalidOperation(f"{root.findtext('name')} cannot be resized: {error}.") from None
    return listening_on(etree.tostring(root, encoding="unicode"), console_address)


def root_disk(xml: str) -> str:
    """The path of the guest's first writable file disk (its root disk), "" when it has none."""
    return next((disk.path for disk in file_disks(xml) if not disk.media), "")


def aside_path(path: str) -> str:
    found = PurePosixPath(path)
    return str(found.with_name(f"{found.stem}{ASIDE}{found.suffix}"))


def _volume(conn: libvirt.virConnect, path: str):
    with contextlib.suppress(libvirt.libvirtError):
        return conn.storageVolLookupByPath(path)
    return None


def _replace(conn: libvirt.virConnect, source, path: str, progress=None) -> None:
    """The volume at `path` (removed first when there) made anew as a copy of `source`, beside it."""
    if (old := _volume(conn, path)) is not None:
        old.delete(0)
    made = source.storagePoolLookupByVolume().createXML(volume_definition(source, PurePosixPath(path).name), 0)
    try:
        copy_volume(conn, source, conn, made, progress)
    except BaseException:
        with contextlib.suppress(libvirt.libvirtError):
            made.delete(0)
        raise


@translated
def set_aside(conn: libvirt.virConnect, path: str, progress=None) -> str:
    """Copy the volume at `path` beside itself (aside_path); the copy's path."""
    aside = aside_path(path)
    _replace(conn, conn.storageVolLookupByPath(path), aside, progress)
    return aside


@translated
def put_back(conn: libvirt.virConnect, path: str) -> bool:
    """The volume at `path` as it was when set aside, the copy removed; False when there is no copy
    (never set aside, or already put back): `path` is left as it is."""
    aside = _volume(conn, aside_path(path))
    if aside is None:
        return False
    _replace(conn, aside, path)
    aside.delete(0)
    return True


@translated
def grow(conn: libvirt.virConnect, path: str, capacity: int) -> bool:
    """Grow the volume at `path` to `capacity` bytes; False when it is that large already."""
    volume = conn.storageVolLookupByPath(path)
    if capacity <= volume.info()[1]:
        return False
    volume.resize(capacity, 0)
    return True


def _sizes(domain: libvirt.virDomain) -> tuple[int, int, int, int]:
    """(vCPUs, most vCPUs, memory MiB, most memory MiB) of the running guest's definition."""
    root = etree.fromstring(domain.XMLDesc(0).encode())
    most_vcpus = int(root.findtext("vcpu") or 1)
    vcpus = int(root.find("vcpu").get("current", most_vcpus))
    most_memory = int(root.findtext("memory") or 0) // 1024  # KiB
    return vcpus, most_vcpus, int(root.findtext("currentMemory") or 0) // 1024 or most_memory, most_memory


@translated
def grow_live(domain: libvirt.virDomain, *, vcpus: int, memory_mib: int) -> bool:
    """Raise the running guest's vCPUs and memory (the balloon) to these, now and in its persistent
    definition, within the maximums it is defined with. Memory first, then vCPUs: a vCPU change the
    guest refuses takes the memory back, so nothing is half applied. Returns whether the guest
    agent brought the new vCPUs online (else the guest's own hotplug rules do)."""
    now_vcpus, most_vcpus, now_memory, most_memory = _sizes(domain)
    problems = []
    if vcpus < now_vcpus or memory_mib < now_memory:
        problems.append(f"It only grows while running: it has {now_vcpus} vCPU and {now_memory} MiB.")
    if vcpus > most_vcpus:
        problems.append(f"Its definition allows at most {most_vcpus} vCPUs while running (extra spec lvc:max_vcpus).")
    if memory_mib > most_memory:
        problems.append(f"Its definition allows at most {most_memory} MiB while running (extra spec "
                        "lvc:max_memory_mib).")  # fmt: skip
    if problems:
        raise InvalidOperation(" ".join(problems))
    both = libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_AFFECT_CONFIG
    if memory_mib > now_memory:
        domain.setMemoryFlags(memory_mib * 1024, both)
    if vcpus == now_vcpus:
        return False
    try:
        domain.setVcpusFlags(vcpus, both)
    except libvirt.libvirtError as error:
        if memory_mib > now_memory:
            domain.setMemoryFlags(now_memory * 1024, both)
        raise InvalidOperation(
            f"The guest's QEMU refused {vcpus} vCPUs ({error.get_error_message()}); its memory "
            f"was set back: it still has {now_vcpus} vCPU and {now_memory} MiB."
        ) from error
    try:
        domain.setVcpusFlags(vcpus, libvirt.VIR_DOMAIN_VCPU_GUEST)
        return True
    except libvirt.libvirtError:  # no guest agent: the guest onlines them by itself, or its admin does
        return False
