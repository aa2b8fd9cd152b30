"""A second, private libvirtd for tests that stop and start a daemon: it runs in its own mount
namespace with its own state folders and socket, so the shared libvirtd is never disturbed.
tests/support/lab.py builds the namespaced hosts of the multi-host harness on it."""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import libvirt

from tests.support.guest import GUEST_DIR

STATE_DIRS = {
    "run": "/run/libvirt",
    "lib": "/var/lib/libvirt",
    "cache": "/var/cache/libvirt",
    "log": "/var/log/libvirt",
    "etc": "/etc/libvirt",
}
# As root and relabelling nothing: the shared libvirtd's guests use the same kernel file, and
# taking it over ("already in use" by another DAC user) is refused. QEMU's output is written by
# libvirtd itself: there is no virtlogd in the private namespace.
GUEST_QEMU_CONF = (
    'stdio_handler = "file"\nsecurity_driver = "none"\nuser = "root"\ngroup = "root"\n'
    "dynamic_ownership = 0\nremember_owner = 0\n"
)


class PrivateLibvirtd:
    """`guests=True`: it can run the tiny test guest too (its folder bound into the private
    /var/lib/libvirt)."""

    def __init__(self, root: Path, *, guests: bool = False):
        self.root, self.guests = root, guests
        self.socket = root / "sock" / "libvirt-sock"
        self.uri = f"qemu+unix:///system?socket={self.socket}"
        self.process: subprocess.Popen | None = None

    def write_config(self) -> None:
        for name in [*STATE_DIRS, "sock"]:
            (self.root / name).mkdir(parents=True, exist_ok=True)
        (self.root / "etc" / "libvirtd.conf").write_text(self.libvirtd_conf())
        if self.guests:
            (self.root / "etc" / "qemu.conf").write_text(self.qemu_conf())
            (self.root / "lib" / GUEST_DIR.relative_to("/var/lib/libvirt")).mkdir(parents=True, exist_ok=True)

    def libvirtd_conf(self) -> str:
        return f'unix_sock_dir = "{self.root / "sock"}"\nauth_unix_rw = "none"\nauth_unix_ro = "none"\n'

    def qemu_conf(self) -> str:
        return GUEST_QEMU_CONF

    def command(self, script: str) -> list[str]:
        """How the daemon's shell script is run: in a new mount namespace."""
        return ["unshare", "-m", "--propagation", "private", "sh", "-c", script]

    def start(self, *, timeout: float = 60, options: str = "") -> None:
        self.write_config()
        mounts = " && ".join(f"mount --rbind {self.root / name} {target}" for name, target in STATE_DIRS.items())
        if self.guests:  # first, while the shared /var/lib/libvirt is still in sight
            mounts = (
                f"mount --bind {GUEST_DIR} {self.root / 'lib' / GUEST_DIR.relative_to('/var/lib/libvirt')} && {mounts}"
            )
        config = f"--config {self.root / 'etc/libvirtd.conf'} --pid-file {self.root / 'pid'}"
        self.process = subprocess.Popen(
            self.command(f"{mounts} && exec libvirtd {options} {config}"),
            stdout=open(self.root / "libvirtd.log", "ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"private libvirtd did not start: see {self.root / 'libvirtd.log'}")
            time.sleep(0.2)

    def answers(self) -> bool:
        """True once its drivers are ready (it accepts connections before they are)."""
        try:
            conn = libvirt.open(self.uri)
            conn.getCapabilities()
            conn.listAllDomains(0)
            conn.close()
            return True
        except libvirt.libvirtError:
            return False

    @contextlib.contextmanager
    def frozen(self):
        """The daemon stopped in its tracks (SIGSTOP) for the block: connected clients wait on it, as
        on a host that hangs; it goes on where it stopped afterwards."""
        os.kill(self.process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
