"""The tiny test guest on the real libvirtd: its domain XML (lxml) and helpers to drive it."""

import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import libvirt
from lxml import etree

from instances.tiny_guest import tiny_guest_dir

ROOT = Path(__file__).resolve().parents[2]
GUEST_DIR = tiny_guest_dir()  # where scripts/build-test-guest.sh puts the kernel and initramfs
LOG_DIR = ROOT / ".state" / "guest-logs"
NAME_PREFIX = "lvc-test-"
MARKER = "TINYGUEST-READY"
# The tiny guest's busybox shell: "/ # ", then a cursor-position query ("\x1b[6n") of its line editor.
SHELL_PROMPT = re.compile(rb"[#$] (?:\x1b\[[0-9;]*[A-Za-z])*$")


def _sub(parent, tag, text=None, **attrs):
    element = etree.SubElement(parent, tag, {key.rstrip("_"): str(value) for key, value in attrs.items()})
    if text is not None:
        element.text = str(text)
    return element


def kernel(*, screen: bool = False) -> Path:
    """The tiny guest's kernel: uncompressed (boots in about half the time under TCG) unless the
    test looks at the guest's screen (VGA text console), which only the compressed one sets up."""
    return GUEST_DIR / ("vmlinuz" if screen else "vmlinux")


def tiny_guest_xml(name: str, *, serial_log: Path, memory_mib: int = 128, screen: bool = False) -> str:
    """A TCG guest booting the tiny kernel + initramfs, serial logged to `serial_log`, VNC on loopback."""
    domain = etree.Element("domain", type="qemu")
    _sub(domain, "name", name)
    _sub(domain, "uuid", uuid.uuid4())
    _sub(domain, "memory", memory_mib, unit="MiB")
    _sub(domain, "vcpu", 1)
    os_ = _sub(domain, "os")
    _sub(os_, "type", "hvm", arch="x86_64", machine="pc")
    _sub(os_, "kernel", kernel(screen=screen))
    _sub(os_, "initrd", GUEST_DIR / "initrd.img")
    _sub(os_, "cmdline", "console=tty0 console=ttyS0")
    features = _sub(domain, "features")
    _sub(features, "acpi")
    devices = _sub(domain, "devices")
    serial = _sub(devices, "serial", type="pty")
    _sub(serial, "log", file=serial_log, append="off")
    _sub(serial, "target", port=0)
    console = _sub(devices, "console", type="pty")
    _sub(console, "target", type="serial", port=0)
    channel = _sub(devices, "channel", type="unix")  # qemu-guest-agent runs in the guest
    _sub(channel, "target", type="virtio", name="org.qemu.guest_agent.0")
    # With a password, as the console defines guests: the proxy sets its own when a ticket is used.
    _sub(devices, "graphics", type="vnc", listen="127.0.0.1", autoport="yes", passwd=secrets.token_urlsafe(6))
    video = _sub(devices, "video")
    _sub(video, "model", type="vga")
    return etree.tostring(domain, encoding="unicode")


@dataclass
class TinyGuest:
    conn: libvirt.virConnect
    name: str
    serial_log: Path

    @property
    def domain(self) -> libvirt.virDomain:
        return self.conn.lookupByName(self.name)

    def serial_text(self) -> str:
        try:
            return self.serial_log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for_serial(self, text: str, *, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.serial_text():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{text!r} not on {self.name}'s serial within {timeout} s:\n{self.serial_text()[-2000:]}"
                )
            time.sleep(0.2)

    def serial_bytes(self) -> bytes:
        try:
            return self.serial_log.read_bytes()
        except FileNotFoundError:
            return b""

    def run_on_serial(self, command: str, expect: str, *, timeout: float = 20) -> str:
        """Type `command` on the serial console through a libvirt stream once the shell shows its
        prompt; return the output up to `expect`. One thread sends, then reads (never both at once
        on the stream); this one waits at most `timeout`, so a console stuck in a libvirt call
        fails the test instead of hanging it."""
        stream = self.conn.newStream(0)
        self.domain.openConsole(None, stream, libvirt.VIR_DOMAIN_CONSOLE_FORCE)
        received = bytearray()
        done = threading.Event()
        deadline = time.monotonic() + timeout

        def talk():
            try:
                self._wait_for_prompt(stream, deadline)
                stream.send(f"{command}\n".encode())
                while expect.encode() not in received:
                    chunk = stream.recv(4096)
                    if not chunk or not isinstance(chunk, bytes):
                        break
                    received.extend(chunk)
            except (libvirt.libvirtError, TimeoutError):
                pass
            done.set()

        threading.Thread(target=talk, daemon=True).start()
        finished = done.wait(timeout)
        closer = threading.Thread(target=_abort, args=(stream,), daemon=True)
        closer.start()
        closer.join(5)  # a stuck stream is left to its daemon threads
        text = received.decode(errors="replace")
        assert finished or expect in text, f"{expect!r} not answered on serial within {timeout} s; got {text[-500:]!r}"
        assert expect in text, (
            f"no {expect!r} on serial (no prompt, or the console closed); "
            f"got {text[-500:]!r}, serial log ends {self.serial_text()[-300:]!r}"
        )
        return text

    def wait_for_screen_shell(self, *, timeout: float = 30) -> None:
        """Wait until a shell reads the VGA console (tty1), so keys typed through VNC reach it."""
        deadline = time.monotonic() + timeout
        command = "ls -l /proc/[0-9]*/fd/0 2>/dev/null | grep -c /dev/tty1; echo counted-$((40+2))"
        while True:
            text = self.run_on_serial(command, "counted-42", timeout=max(1.0, deadline - time.monotonic()))
            counts = re.findall(r"^(\d+)\s*$", text, re.M)
            if counts and int(counts[-1]) > 0:
                return
            assert time.monotonic() < deadline, f"no shell on {self.name}'s tty1 within {timeout} s"
            time.sleep(0.2)

    def _wait_for_prompt(self, stream, deadline: float) -> None:
        """Press Enter until the shell answers with a prompt (seen in the serial log): what is typed
        before the shell reads its terminal is lost."""
        while time.monotonic() < deadline:
            mark = len(self.serial_bytes())
            stream.send(b"\n")
            retry = min(deadline, time.monotonic() + 1.0)
            while time.monotonic() < retry:
                if SHELL_PROMPT.search(self.serial_bytes()[mark:]):
                    return
                time.sleep(0.05)
        raise TimeoutError("no shell prompt")

    def remove(self) -> None:
        remove_domain(self.conn, self.name)


def _abort(stream) -> None:
    try:
        stream.abort()
    except libvirt.libvirtError:
        pass


def remove_domain(conn: libvirt.virConnect, name: str) -> None:
    try:
        domain = conn.lookupByName(name)
    except libvirt.libvirtError:
        return
    if domain.isActive():
        domain.destroy()
    if domain.isPersistent():
        domain.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)


def define_tiny_guest(conn: libvirt.virConnect, *, start: bool = True) -> TinyGuest:
    name = f"{NAME_PREFIX}{uuid.uuid4().hex[:8]}"
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    guest = TinyGuest(conn=conn, name=name, serial_log=LOG_DIR / f"{name}.log")
    domain = conn.defineXML(tiny_guest_xml(name, serial_log=guest.serial_log))
    if start:
        domain.create()
    return guest


def remove_leftover_guests(conn: libvirt.virConnect) -> None:
    """Guests of an earlier run that was killed before it could clean up."""
    for domain in conn.listAllDomains(0):
        if domain.name().startswith(NAME_PREFIX):
            remove_domain(conn, domain.name())
