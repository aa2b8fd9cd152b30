"""Edits of a fetched domain tree, made in place so every element we do not model survives.

Each function takes the root <domain> element (fetch it with VIR_DOMAIN_XML_SECURE when the
result will be redefined) and changes only the parts it names.
"""

from collections.abc import Iterable

from lxml import etree

from virt.xml.domain import Boot, Disk, sub

# Target name prefix per disk bus, as libvirt and the guest kernel name them.
PREFIX_BY_BUS = {"virtio": "vd", "sata": "sd", "scsi": "sd", "usb": "sd", "ide": "hd", "xen": "xvd"}
_PREFIXES = ("xvd", "ubd", "vd", "sd", "hd")  # longest first, so "xvda" is not read as "vd" + ...
_OS_BOOT_TAGS = ("kernel", "initrd", "cmdline")


def split_target(name: str) -> tuple[str, int] | None:
    """("vd", 1) for "vdb", ("sd", 26) for "sdaa"; None for a name that follows no known scheme."""
    for prefix in _PREFIXES:
        letters = name[len(prefix) :]
        if name.startswith(prefix) and letters.isascii() and letters.isalpha() and letters.islower():
            index = 0
            for letter in letters:
                index = index * 26 + ord(letter) - ord("a") + 1
            return prefix, index - 1
    return None


def target_name(prefix: str, index: int) -> str:
    """The inverse of split_target: ("vd", 0) → "vda", ("sd", 26) → "sdaa"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return prefix + letters


def next_target(bus: str, used: Iterable[str]) -> str:
    """The first target name on `bus` that is not in `used` (like Nova's get_next_device_name)."""
    if bus not in PREFIX_BY_BUS:
        raise ValueError(f"unknown disk bus {bus!r}; known: {', '.join(sorted(PREFIX_BY_BUS))}")
    prefix = PREFIX_BY_BUS[bus]
    taken = {split[1] for split in map(split_target, used) if split and split[0] == prefix}
    index = 0
    while index in taken:
        index += 1
    return target_name(prefix, index)


def _devices(root: etree._Element) -> etree._Element:
    devices = root.find("devices")
    return sub(root, "devices") if devices is None else devices


def disk_target(disk: etree._Element) -> str:
    """The device name of a <disk> (its target dev), "" when it has none."""
    target = disk.find("target")
    return "" if target is None else target.get("dev", "")


def _insert_before_devices(devices: etree._Element, element: etree._Element) -> None:
    """Put a first disk where libvirt puts disks: after <emulator>, before every other device."""
    emulator = devices.find("emulator")
    devices.insert(0 if emulator is None else devices.index(emulator) + 1, element)
    element.tail = devices.text


def set_boot(root: etree._Element, boot: Boot) -> None:
    """Set or remove <kernel>, <initrd> and <cmdline> under <os>; <type> and the rest stay."""
    os_ = root.find("os")
    if os_ is None:
        raise ValueError("the domain has no <os> element")
    for tag in _OS_BOOT_TAGS:
        value = getattr(boot, tag)
        element = os_.find(tag)
        if element is not None and not value:
            os_.remove(element)
        elif element is not None:
            element.text = value
        elif value:
            anchors = [child for child in os_ if child.tag in ("type", *_OS_BOOT_TAGS)]
            new = etree.Element(tag)
            new.text = value
            if anchors:
                anchors[-1].addnext(new)
            else:
                os_.insert(0, new)


def prepend_disk(root: etree._Element, disk: Disk) -> None:
    """Insert `disk` as the first <disk>, moving same-prefix disks from its target on up one letter."""
    devices = _devices(root)
    wanted = split_target(disk.target)
    if wanted is not None:
        for existing in devices.findall("disk"):
            _shift_if_at_or_after(existing, *wanted)
    disks = devices.findall("disk")
    element = disk.to_element()
    if disks:
        element.tail = disks[0].tail
        disks[0].addprevious(element)
    else:
        _insert_before_devices(devices, element)


def _shift_if_at_or_after(disk: etree._Element, prefix: str, first: int) -> None:
    split = split_target(disk_target(disk))
    if split is None or split[0] != prefix or split[1] < first:
        return
    disk.find("target").set("dev", target_name(prefix, split[1] + 1))
    address = disk.find("address[@type='drive']")
    if address is not None:  # a drive address encodes the old name's slot: let libvirt assign anew
        disk.remove(address)


def set_disk_source(root: etree._Element, target: str, source: str) -> None:
    """Point the disk at `target` to `source` (e.g. insert a CD-ROM); "" removes <source> (eject)."""
    disk = next((disk for disk in _devices(root).findall("disk") if disk_target(disk) == target), None)
    if disk is None:
        raise LookupError(f"the domain has no disk with target {target!r}")
    element = disk.find("source")
    if not source:
        if element is not None:
            disk.remove(element)
        return
    kind = disk.get("type", "file")
    if kind not in ("file", "block"):
        raise ValueError(f"disk {target} is of type {kind!r}; only file and block disks take a path")
    if element is None:
        element = etree.Element("source")
        driver = disk.find("driver")
        disk.insert(0 if driver is None else disk.index(driver) + 1, element)
    element.set("dev" if kind == "block" else "file", source)


def set_size(root: etree._Element, *, vcpus: int, memory_mib: int, max_vcpus: int = 0, max_memory_mib: int = 0) -> None:
    """Give the domain `vcpus` vCPUs and `memory_mib` MiB (<vcpu>, <memory>, <currentMemory>), with
    room to grow while running up to `max_vcpus` and `max_memory_mib` where they are larger. ValueError
    where the definition ties them to something else: guest NUMA cells, pinned vCPUs, a smaller
    <maxMemory>."""
    if root.find("cpu/numa") is not None or root.find("cputune/vcpupin") is not None:
        raise ValueError("its vCPUs or memory are placed on NUMA nodes or pinned to host CPUs")
    most = root.find("maxMemory")
    if most is not None and int(most.text or 0) < max(memory_mib, max_memory_mib) * 1024:  # libvirt writes KiB
        raise ValueError(f"its definition allows at most {int(most.text or 0) // 1024} MiB of memory")
    vcpu = root.find("vcpu")
    if vcpu is None:
        vcpu = etree.SubElement(root, "vcpu")
    vcpu.text = str(max(vcpus, max_vcpus))
    vcpu.attrib.pop("current", None)
    if max_vcpus > vcpus:
        vcpu.set("current", str(vcpus))
    sizes = {"memory": max(memory_mib, max_memory_mib), "currentMemory": memory_mib}
    for tag, size in sizes.items():
        element = root.find(tag)
        if element is None:
            element = etree.SubElement(root, tag)
        element.text, element.attrib["unit"] = str(size * 1024), "KiB"
