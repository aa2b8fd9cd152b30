"""Domain XML objects: dataclasses that write and read libvirt domain XML with lxml.

They hold no policy: every value is the caller's, and "" (or -1 for a port) means "leave it out,
let libvirt decide". Reading accepts any libvirt domain XML (live, inactive, any driver): parts
that are missing read as empty values and parts that are not modelled are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from virt.xml.tuning import CpuTune, GuestCell, NumaTune, cells_element, cells_from

GUEST_AGENT_CHANNEL = "org.qemu.guest_agent.0"

# libvirt's scaled units (case-insensitive, as in virScaleInteger): bytes per unit.
_BYTES_PER_UNIT = {"b": 1, "byte": 1, "bytes": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_DECIMAL = {"kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4}
_BINARY = {"kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}

# Which <source> attribute names an interface's source, per interface type.
_INTERFACE_SOURCE = {"network": "network", "bridge": "bridge", "direct": "dev"}


def parse(text: str | bytes) -> etree._Element:
    """Parse XML without resolving entities, touching the network or accepting huge trees."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    data = text.encode("utf-8") if isinstance(text, str) else text
    return etree.fromstring(data, parser)


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str | None) -> etree._Element:
    """Append a child element; attributes whose value is None are left out."""
    element = etree.SubElement(parent, tag, {key: value for key, value in attrs.items() if value is not None})
    if text is not None:
        element.text = text
    return element


def _attr(element: etree._Element | None, name: str, default: str = "") -> str:
    return default if element is None else element.get(name, default)


def _int(text: str | None, default: int) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        return default


def _room(maximum: int, current: int) -> int:
    """A maximum that leaves room above `current` (0 when it does not, or is not known)."""
    return maximum if current and maximum > current else 0


def _memory_mib(element: etree._Element | None) -> int:
    """MiB in a <memory>-like element, honouring its unit attribute (KiB when absent)."""
    if element is None:
        return 0
    unit = element.get("unit", "KiB").lower()
    scale = _BYTES_PER_UNIT.get(unit) or _DECIMAL.get(unit) or _BINARY.get(unit)
    if scale is None:
        raise ValueError(f"unknown memory unit {element.get('unit')!r}")
    return _int(element.text, 0) * scale // 1024**2


@dataclass
class Disk:
    target: str
    source: str = ""
    device: str = "disk"
    bus: str = "virtio"
    format: str = "qcow2"
    readonly: bool = False
    serial: str = ""
    cache: str = ""  # the host page cache mode (none, writeback...); "": QEMU's default

    def to_element(self) -> etree._Element:
        element = etree.Element("disk", type="file", device=self.device)
        if self.format:
            sub(element, "driver", name="qemu", type=self.format, cache=self.cache or None)
        if self.source:
            sub(element, "source", file=self.source)
        sub(element, "target", dev=self.target, bus=self.bus or None)
        if self.readonly:
            sub(element, "readonly")
        if self.serial:
            sub(element, "serial", self.serial)
        return element

    @classmethod
    def from_element(cls, element: etree._Element) -> Disk:
        target = element.find("target")
        return cls(
            target=_attr(target, "dev"),
            source=disk_source(element),
            device=element.get("device", "disk"),
            bus=_attr(target, "bus"),
            format=_attr(element.find("driver"), "type"),
            readonly=element.find("readonly") is not None,
            serial=element.findtext("serial", ""),
            cache=_attr(element.find("driver"), "cache"),
        )


def disk_source(element: etree._Element) -> str:
    """The host path behind a <disk>: its source file (or device for block disks), "" when empty."""
    source = element.find("source")
    return _attr(source, "file") or _attr(source, "dev")


@dataclass
class Interface:
    type: str
    source: str
    mac: str = ""
    model: str = "virtio"
    filter: str = ""
    filter_params: dict[str, str] = field(default_factory=dict)
    target: str = ""
    link: str = ""  # "up" or "down"; "": libvirt's default (up)

    def to_element(self) -> etree._Element:
        element = etree.Element("interface", type=self.type)
        if self.mac:
            sub(element, "mac", address=self.mac)
        if self.source:
            if self.type not in _INTERFACE_SOURCE:
                raise ValueError(f"an interface of type {self.type!r} takes no source")
            sub(element, "source", **{_INTERFACE_SOURCE[self.type]: self.source})
        if self.model:
            sub(element, "model", type=self.model)
        if self.filter:
            ref = sub(element, "filterref", filter=self.filter)
            for name, value in self.filter_params.items():
                sub(ref, "parameter", name=name, value=value)
        if self.link:
            sub(element, "link", state=self.link)
        return element

    @classmethod
    def from_element(cls, element: etree._Element) -> Interface:
        kind = element.get("type", "")
        source_attr = _INTERFACE_SOURCE.get(kind)
        ref = element.find("filterref")
        params = {} if ref is None else {p.get("name", ""): p.get("value", "") for p in ref.findall("parameter")}
        return cls(
            type=kind,
            source=_attr(element.find("source"), source_attr) if source_attr else "",
            mac=_attr(element.find("mac"), "address"),
            model=_attr(element.find("model"), "type"),
            filter=_attr(ref, "filter"),
            filter_params=params,
            target=_attr(element.find("target"), "dev"),
            link=_attr(element.find("link"), "state"),
        )


@dataclass
class Graphics:
    type: str
    listen: str = "127.0.0.1"
    port: int = -1
    password: str = ""

    def to_element(self) -> etree._Element:
        element = etree.Element("graphics", type=self.type)
        if self.port == -1:
            element.set("autoport", "yes")
        else:
            element.set("port", str(self.port))
            element.set("autoport", "no")
        if self.password:
            element.set("passwd", self.password)
        if self.listen:
            element.set("listen", self.listen)
            sub(element, "listen", type="address", address=self.listen)
        return element

    @classmethod
    def from_element(cls, element: etree._Element) -> Graphics:
        listen = element.get("listen", "")
        if not listen:
            address = element.find("listen[@type='address']")
            listen = _attr(address, "address")
        return cls(
            type=element.get("type", ""),
            listen=listen,
            port=_int(element.get("port"), -1),
            password=element.get("passwd", ""),
        )


@dataclass
class Serial:
    log_file: str = ""

    def to_elements(self) -> tuple[etree._Element, etree._Element]:
        """The <serial> port and the <console> that points at it."""
        serial = etree.Element("serial", type="pty")
        if self.log_file:
            sub(serial, "log", file=self.log_file, append="on")
        sub(serial, "target", port="0")
        console = etree.Element("console", type="pty")
        sub(console, "target", type="serial", port="0")
        return serial, console

    @classmethod
    def from_element(cls, element: etree._Element) -> Serial:
        return cls(log_file=_attr(element.find("log"), "file"))


@dataclass
class Boot:
    kernel: str = ""
    initrd: str = ""
    cmdline: str = ""
    arch: str = "x86_64"
    machine: str = ""

    def to_element(self) -> etree._Element:
        element = etree.Element("os")
        sub(element, "type", "hvm", arch=self.arch or None, machine=self.machine or None)
        for tag in ("kernel", "initrd", "cmdline"):
            if getattr(self, tag):
                sub(element, tag, getattr(self, tag))
        return element

    @classmethod
    def from_element(cls, element: etree._Element | None) -> Boot:
        if element is None:
            return cls(arch="")
        kind = element.find("type")
        return cls(
            kernel=element.findtext("kernel", ""),
            initrd=element.findtext("initrd", ""),
            cmdline=element.findtext("cmdline", ""),
            arch=_attr(kind, "arch"),
            machine=_attr(kind, "machine"),
        )


@dataclass
class Domain:
    name: str
    uuid: str
    vcpus: int
    memory_mib: int
    type: str = "qemu"
    boot: Boot = field(default_factory=Boot)
    max_vcpus: int = 0  # room to grow while running (vCPU hotplug); 0: none
    max_memory_mib: int = 0  # room to grow while running (the balloon); 0: none
    disks: list[Disk] = field(default_factory=list)
    interfaces: list[Interface] = field(default_factory=list)
    graphics: list[Graphics] = field(default_factory=list)
    serial: Serial | None = None
    video: str = ""
    acpi: bool = True
    guest_agent: bool = False
    memory_stats_period: int = 0  # s between the balloon driver's reports of the guest's memory; 0: none asked
    on_poweroff: str = "destroy"
    on_reboot: str = "restart"
    on_crash: str = "destroy"
    description: str = ""
    cells: list[GuestCell] = field(default_factory=list)
    cputune: CpuTune | None = None
    numatune: NumaTune | None = None

    def to_element(self) -> etree._Element:
        root = etree.Element("domain", type=self.type)
        sub(root, "name", self.name)
        if self.uuid:
            sub(root, "uuid", self.uuid)
        if self.description:
            sub(root, "description", self.description)
        memory = max(self.max_memory_mib, self.memory_mib)
        sub(root, "memory", str(memory), unit="MiB")
        if memory > self.memory_mib:
            sub(root, "currentMemory", str(self.memory_mib), unit="MiB")
        vcpus = max(self.max_vcpus, self.vcpus)
        sub(root, "vcpu", str(vcpus), current=str(self.vcpus) if vcpus > self.vcpus else None)
        root.extend(tune.to_element() for tune in (self.cputune, self.numatune) if tune is not None)
        root.append(self.boot.to_element())
        if self.acpi:
            sub(sub(root, "features"), "acpi")
        if self.cells:
            root.append(cells_element(self.cells))
        sub(root, "on_poweroff", self.on_poweroff)
        sub(root, "on_reboot", self.on_reboot)
        sub(root, "on_crash", self.on_crash)
        root.append(self._devices())
        return root

    def _devices(self) -> etree._Element:
        devices = etree.Element("devices")
        devices.extend(disk.to_element() for disk in self.disks)
        devices.extend(interface.to_element() for interface in self.interfaces)
        if self.serial is not None:
            devices.extend(self.serial.to_elements())
        if self.guest_agent:
            channel = sub(devices, "channel", type="unix")
            sub(channel, "target", type="virtio", name=GUEST_AGENT_CHANNEL)
        devices.extend(graphics.to_element() for graphics in self.graphics)
        if self.memory_stats_period:
            sub(sub(devices, "memballoon", model="virtio"), "stats", period=str(self.memory_stats_period))
        if self.video:
            sub(sub(devices, "video"), "model", type=self.video)
        return devices

    def to_xml(self) -> str:
        return etree.tostring(self.to_element(), encoding="unicode", pretty_print=True)

    @classmethod
    def from_element(cls, element: etree._Element) -> Domain:
        if element.tag != "domain":
            raise ValueError(f"expected a <domain> element, got <{element.tag}>")
        devices = element.find("devices")
        if devices is None:
            devices = etree.Element("devices")
        serial = devices.find("serial")
        return cls(
            name=element.findtext("name", ""),
            uuid=element.findtext("uuid", ""),
            vcpus=_int(_attr(element.find("vcpu"), "current"), _int(element.findtext("vcpu"), 1)),
            memory_mib=_memory_mib(element.find("currentMemory")) or _memory_mib(element.find("memory")),
            max_vcpus=_int(element.findtext("vcpu"), 1) if _attr(element.find("vcpu"), "current") else 0,
            max_memory_mib=_room(_memory_mib(element.find("memory")), _memory_mib(element.find("currentMemory"))),
            type=element.get("type", ""),
            boot=Boot.from_element(element.find("os")),
            disks=[Disk.from_element(disk) for disk in devices.findall("disk")],
            interfaces=[Interface.from_element(nic) for nic in devices.findall("interface")],
            graphics=[Graphics.from_element(graphics) for graphics in devices.findall("graphics")],
            serial=None if serial is None else Serial.from_element(serial),
            video=_attr(devices.find("video/model"), "type"),
            acpi=element.find("features/acpi") is not None,
            guest_agent=_has_guest_agent(devices),
            memory_stats_period=_int(_attr(devices.find("memballoon/stats"), "period"), 0),
            on_poweroff=element.findtext("on_poweroff") or "destroy",
            on_reboot=element.findtext("on_reboot") or "restart",
            on_crash=element.findtext("on_crash") or "destroy",
            description=element.findtext("description", ""),
            cells=cells_from(element),
            cputune=CpuTune.from_element(element.find("cputune")),
            numatune=NumaTune.from_element(element.find("numatune")),
        )

    @classmethod
    def from_xml(cls, text: str) -> Domain:
        return cls.from_element(parse(text))


def _has_guest_agent(devices: etree._Element) -> bool:
    targets = devices.findall("channel/target")
    return any(target.get("type") == "virtio" and target.get("name") == GUEST_AGENT_CHANNEL for target in targets)
