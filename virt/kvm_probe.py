"""Whether a Linux kernel really starts under a domain type on a host: a short probe boot.

A host can advertise `type='kvm'` while KVM does not work (nested or paravirtualized backends
where a guest kernel never gets past its decompressor), so the capabilities alone prove nothing.
The probe boots a transient guest of that type on a kernel the host has, watches its serial
console and says whether the kernel proper started ("Linux version" on the console) in time."""

import threading
import time
import uuid
from dataclasses import dataclass

import libvirt
from lxml import etree

from virt.credentials import Credentials
from virt.errors import translated
from virt.serial import SerialConsole
from virt.xml.domain import sub

BOOTED = b"Linux version"  # the kernel's first line: printed once it runs past the decompressor
NAME_PREFIX = "lvc-probe-"


@dataclass(frozen=True)
class ProbeResult:
    booted: bool
    seconds: float  # until the kernel started, or the whole wait when it did not
    last_line: str  # what the console showed last (why it did not boot, when it did not)
    refused: str = ""  # libvirt would not start it at all, and why


def probe_xml(name: str, domain_uuid: str, virt_type: str, kernel: str) -> str:
    domain = etree.Element("domain", type=virt_type)
    sub(domain, "name", name)
    sub(domain, "uuid", domain_uuid)
    sub(domain, "memory", "128", unit="MiB")
    sub(domain, "vcpu", "1")
    os_ = sub(domain, "os")
    sub(os_, "type", "hvm", arch="x86_64", machine="pc")
    sub(os_, "kernel", kernel)
    sub(os_, "cmdline", "console=ttyS0 panic=-1")
    devices = sub(domain, "devices")
    sub(sub(devices, "serial", type="pty"), "target", port="0")
    sub(sub(devices, "console", type="pty"), "target", type="serial", port="0")
    return etree.tostring(domain, encoding="unicode")


@translated
def kernel_boots(conn: libvirt.virConnect, uri: str, *, virt_type: str, kernel: str, timeout: float,
                 credentials: Credentials | None = None) -> ProbeResult:  # fmt: skip
    """Boot `kernel` (a path on the host) in a transient guest of `virt_type`; the guest is gone
    afterwards whatever happens."""
    domain_uuid = str(uuid.uuid4())
    xml = probe_xml(f"{NAME_PREFIX}{domain_uuid[:8]}", domain_uuid, virt_type, kernel)
    domain = conn.createXML(xml, libvirt.VIR_DOMAIN_START_PAUSED)  # the console is open before it runs
    seen, started = bytearray(), threading.Event()

    def on_data(chunk: bytes) -> None:
        seen.extend(chunk)
        if BOOTED in seen:
            started.set()

    console = None
    try:
        console = SerialConsole.open(uri, domain_uuid, credentials=credentials)
        console.start(on_data, lambda _reason: started.set())
        began = time.monotonic()
        domain.resume()
        booted = started.wait(timeout) and BOOTED in seen
        took = time.monotonic() - began
    finally:
        if console is not None:
            console.close()
        try:
            domain.destroy()
        except libvirt.libvirtError as error:
            if error.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                raise
    lines = bytes(seen).decode(errors="replace").strip().splitlines()
    return ProbeResult(booted=bool(booted), seconds=round(took, 1), last_line=lines[-1].strip() if lines else "")
