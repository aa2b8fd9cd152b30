"""Policy: the defaults and checks that turn a guest spec (flavor, image, host) into a Domain.

The XML objects in virt/xml hold no opinions; every choice a guest gets without asking (disk bus,
NIC model, video, CD-ROM bus, serial log, guest agent channel) is made here, and extra specs may
override them. NUMA and CPU pinning specs are read here and placed on the host by virt/numa.py.
"""

import ipaddress
import re
from dataclasses import dataclass, field

from virt.capabilities import NumaCell
from virt.numa import EMULATOR_POLICIES, MEMORY_MODES, NumaError, NumaRequest, Placement, place
from virt.xml.domain import Boot, Disk, Domain, Graphics, Interface, Serial
from virt.xml.edit import next_target

DISK_BUSES = ("virtio", "sata", "scsi", "ide")
VIF_MODELS = ("virtio", "e1000", "rtl8139")
VIDEO_MODELS = ("vga", "cirrus", "virtio", "qxl", "bochs")
MACHINE_TYPES = ("pc", "q35")
GRAPHICS = ("vnc", "spice", "none")
VIRT_TYPES = ("qemu", "kvm")
CPU_POLICIES = ("shared", "dedicated")
DEFAULT_VIDEO = {"vnc": "vga", "spice": "qxl"}
# Root disks bypass the host's page cache (O_DIRECT), as Nova's default where the storage allows it:
# what lets libvirt live-migrate a guest whose disk is on storage both hosts share.
ROOT_DISK_CACHE = "none"
MEMORY_STATS_PERIOD = 10  # s: the guest's balloon driver reports its own memory use (the memory chart)
_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off")
_DNS_NAME = re.compile(r"[a-zA-Z0-9.-]+")  # what libvirt's schema accepts for a listen address


class PolicyError(ValueError):
    """A guest spec or extra spec value this policy cannot turn into a domain."""


@dataclass(frozen=True)
class GuestSpec:
    name: str
    uuid: str
    vcpus: int
    memory_mib: int
    root_disk: str = ""
    root_format: str = "qcow2"
    config_drive: str = ""
    kernel: str = ""
    initrd: str = ""
    cmdline: str = ""
    graphics: str = "vnc"
    console_address: str = "127.0.0.1"
    console_password: str = ""  # the graphics console's own; the proxy replaces it when it connects
    serial_log: str = ""
    networks: tuple[str, ...] = ()
    virt_type: str = "qemu"
    extra_specs: dict = field(default_factory=dict)
    host_cells: tuple[NumaCell, ...] = ()  # the host's NUMA topology, for NUMA and pinning specs
    nic_filter: str = ""  # the network filter every NIC references ("": none)
    taken_cpus: frozenset[int] = frozenset()  # host CPUs other guests have dedicated vCPUs on


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise PolicyError(f"{what} {value!r} is not supported; choose one of: {', '.join(allowed)}")
    return value


def _spec(spec: GuestSpec, key: str, default: str, allowed: tuple[str, ...]) -> str:
    """An extra spec value checked against `allowed`, or `default` when the spec does not set it."""
    value = spec.extra_specs.get(key)
    if value is None or value == "":
        return default
    return _choice(str(value).strip().lower(), allowed, f"extra spec {key} =")


def _flag(spec: GuestSpec, key: str, default: bool) -> bool:
    value = str(spec.extra_specs.get(key, "")).strip().lower()
    if not value:
        return default
    if value not in _TRUE + _FALSE:
        raise PolicyError(f"extra spec {key} = {value!r} is not a yes/no value; use true or false")
    return value in _TRUE


def _number(key: str, value) -> int:
    text = str(value).strip()
    if not text.isdigit() or int(text) < 1:
        raise PolicyError(f"extra spec {key} = {value!r} is not a whole number of at least 1")
    return int(text)


def _per_node(spec: GuestSpec, prefix: str) -> dict[int, str]:
    """{N: value} of the extra specs named prefix + N (hw:numa_cpus.0, hw:numa_cpus.1...)."""
    found = {}
    for key, value in spec.extra_specs.items():
        if key.startswith(prefix):
            suffix = key[len(prefix) :]
            if not suffix.isdigit():
                raise PolicyError(f"extra spec {key}: the part after {prefix!r} must be a guest node number")
            found[int(suffix)] = str(value).strip()
    return found


def _numa(spec: GuestSpec) -> Placement:
    """Guest NUMA cells, vCPU/emulator pinning and the memory policy the extra specs ask for."""
    nodes = spec.extra_specs.get("hw:numa_nodes", "")
    request = NumaRequest(
        vcpus=spec.vcpus, memory_mib=spec.memory_mib,
        nodes=_number("hw:numa_nodes", nodes) if str(nodes).strip() else 0,
        cell_cpus=_per_node(spec, "hw:numa_cpus."),
        cell_memory={n: _number(f"hw:numa_mem.{n}", v) for n, v in _per_node(spec, "hw:numa_mem.").items()},
        dedicated=_spec(spec, "hw:cpu_policy", "shared", CPU_POLICIES) == "dedicated",
        emulator_policy=_spec(spec, "hw:emulator_threads_policy", "share", EMULATOR_POLICIES),
        emulator_cpus=str(spec.extra_specs.get("hw:emulator_cpus", "")).strip(),
        memory_mode=_spec(spec, "hw:numa_mempolicy", "", MEMORY_MODES),
        nodeset=str(spec.extra_specs.get("hw:numa_nodeset", "")).strip(), taken=spec.taken_cpus,
    )  # fmt: skip
    try:
        return place(request, spec.host_cells)
    except NumaError as error:
        raise PolicyError(str(error)) from None


def _check_console_address(address: str) -> None:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        if not _DNS_NAME.fullmatch(address):
            raise PolicyError(f"console address {address!r} is neither an IP address nor a host name") from None


def _disks(spec: GuestSpec, machine: str) -> list[Disk]:
    disk_bus = _spec(spec, "hw:disk_bus", "virtio", DISK_BUSES)
    cdrom_bus = "sata" if machine == "q35" else "ide"
    if machine == "q35" and disk_bus == "ide":
        raise PolicyError("extra spec hw:disk_bus = 'ide' does not work with machine type q35 (it has no IDE bus)")
    disks: list[Disk] = []
    if spec.root_disk:
        disks.append(
            Disk(
                target=next_target(disk_bus, ()),
                source=spec.root_disk,
                bus=disk_bus,
                format=spec.root_format,
                cache=ROOT_DISK_CACHE,
            )  # fmt: skip
        )
    if spec.config_drive:
        target = next_target(cdrom_bus, (disk.target for disk in disks))
        disks.append(
            Disk(target=target, source=spec.config_drive, device="cdrom", bus=cdrom_bus, format="raw", readonly=True)
        )
    return disks


def room(extra_specs: dict, key: str, size: int) -> int:
    """The extra spec `key` (lvc:max_vcpus, lvc:max_memory_mib): how far a guest of `size` may grow
    while running; 0 when unset."""
    value = str(extra_specs.get(key, "")).strip()
    if not value:
        return 0
    if not value.isdigit() or int(value) < size or int(value) > 64 * 1024 * 1024:
        raise PolicyError(f"extra spec {key} = {value!r} must be a whole number, at least the flavor's {size}")
    return int(value)


def build_domain(spec: GuestSpec) -> Domain:
    """The domain this policy gives `spec`; PolicyError names any value it cannot honour."""
    _choice(spec.virt_type, VIRT_TYPES, "virtualization type")
    if spec.vcpus < 1 or spec.memory_mib < 1:
        raise PolicyError(f"a guest needs at least 1 vCPU and 1 MiB of memory, not {spec.vcpus} and {spec.memory_mib}")
    graphics = _choice(spec.graphics, GRAPHICS, "graphics")
    if graphics != "none":
        _check_console_address(spec.console_address)
    machine = _spec(spec, "hw:machine_type", "", MACHINE_TYPES)
    vif_model = _spec(spec, "hw:vif_model", "virtio", VIF_MODELS)
    video = _spec(spec, "hw:video_model", DEFAULT_VIDEO.get(graphics, ""), VIDEO_MODELS)
    numa = _numa(spec)
    max_vcpus = room(spec.extra_specs, "lvc:max_vcpus", spec.vcpus)
    max_memory = room(spec.extra_specs, "lvc:max_memory_mib", spec.memory_mib)
    if (max_vcpus or max_memory) and numa.cells:
        raise PolicyError("extra specs lvc:max_vcpus / lvc:max_memory_mib do not go with guest NUMA cells")
    return Domain(
        name=spec.name,
        uuid=spec.uuid,
        vcpus=spec.vcpus,
        memory_mib=spec.memory_mib,
        max_vcpus=max_vcpus,
        max_memory_mib=max_memory,
        type=spec.virt_type,
        boot=Boot(kernel=spec.kernel, initrd=spec.initrd, cmdline=spec.cmdline, machine=machine),
        disks=_disks(spec, machine),
        interfaces=[
            Interface(type="network", source=network, model=vif_model, filter=spec.nic_filter)
            for network in spec.networks
        ],
        graphics=[]
        if graphics == "none"
        else [Graphics(type=graphics, listen=spec.console_address, password=spec.console_password)],
        serial=Serial(log_file=spec.serial_log),
        video="" if graphics == "none" else video,
        acpi=_flag(spec, "hw:acpi", True),
        guest_agent=_flag(spec, "hw:guest_agent", True),
        memory_stats_period=MEMORY_STATS_PERIOD,
        cells=numa.cells,
        cputune=numa.cputune,
        numatune=numa.numatune,
    )
