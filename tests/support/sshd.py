"""A private sshd on a loopback port, accepting one generated key: a real qemu+ssh host to test
SSH-key credentials against, without touching the machine's own ssh configuration."""

import socket
import subprocess
import time
from pathlib import Path

SSHD = "/usr/sbin/sshd"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateSshd:
    def __init__(self, root: Path):
        self.root = root
        self.port = _free_port()
        root.mkdir(parents=True, exist_ok=True)
        for name, kind in [("host_key", "ed25519"), ("client_key", "ecdsa")]:
            subprocess.run(["ssh-keygen", "-q", "-t", kind, "-m", "PEM", "-N", "", "-f", str(root / name)], check=True)
        (root / "authorized_keys").write_text((root / "client_key.pub").read_text())
        (root / "sshd_config").write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {root / 'host_key'}",
                    f"AuthorizedKeysFile {root / 'authorized_keys'}",
                    f"PidFile {root / 'sshd.pid'}",
                    "PermitRootLogin prohibit-password",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "StrictModes no",
                    "UsePAM no",
                ]
            )
            + "\n"
        )
        self.process: subprocess.Popen | None = None

    @property
    def client_key(self) -> str:
        return (self.root / "client_key").read_text()

    def uri(self, transport: str = "libssh2") -> str:
        """A URI as a user types it: host keys accepted when new (into libvirt's known_hosts of
        the console's user: point XDG_CONFIG_HOME at `config_home` to keep them private)."""
        return f"qemu+{transport}://root@127.0.0.1:{self.port}/system?known_hosts_verify=auto&sshauth=privkey"

    @property
    def config_home(self) -> Path:
        folder = self.root / "config"
        (folder / "libvirt").mkdir(parents=True, exist_ok=True)
        return folder

    def start(self) -> "PrivateSshd":
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
        config, log = str(self.root / "sshd_config"), str(self.root / "log")
        self.process = subprocess.Popen([SSHD, "-D", "-f", config, "-E", log])
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"sshd did not start: {(self.root / 'log').read_text()}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
