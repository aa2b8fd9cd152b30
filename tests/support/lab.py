"""The multi-host harness: two more libvirtds on this machine, each in its own network namespace
(a veth pair on a bridge with private addresses, nothing else reachable) and its own mount
namespace, listening on TCP on its namespace address with its own host UUID and migration address.

Storage as a fleet has it: SHARED is one folder both hosts see (shared storage); everything under
/var/lib/libvirt is private to each host, so the instance and image pools, at the same paths on
both, are not shared. Traffic goes only to loopback and to these namespaces.

Tests start it with the `lab` fixture (tests/support/lab_fixtures.py); by hand:
`make lab-up` / `make lab-down` (python -m tests.support.lab up|down|status)."""

import contextlib
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import libvirt

from tests.support.libvirtd import PrivateLibvirtd

ROOT = Path("/var/tmp/lvc-lab")
SHARED = ROOT / "shared"
BRIDGE, BRIDGE_ADDRESS, PREFIX = "lvclab0", "10.213.7.1", 24
HOSTS = {"lab-a": "10.213.7.11", "lab-b": "10.213.7.12"}


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=check, capture_output=True, text=True)


class LabHost(PrivateLibvirtd):
    """One namespaced libvirtd: `uri` (qemu+tcp on its address) is how the console reaches it."""

    def __init__(self, name: str, address: str):
        self.name, self.address = name, address
        self.netns, self.veth = f"lvc-{name}", f"lvc{name.replace('-', '')}"
        self.host_uuid = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.lvc-lab"))
        super().__init__(ROOT / name, guests=True)
        self.local_uri = self.uri  # its unix socket, seen from outside the namespace too
        self.uri = f"qemu+tcp://{address}/system"
        self.migration_uri = f"tcp://{address}"

    def write_config(self) -> None:
        super().write_config()
        (self.root / "lib" / "images").mkdir(parents=True, exist_ok=True)
        if not (self.root / "etc" / "nwfilter").exists():  # the filters libvirt ships (clean-traffic...)
            shutil.copytree("/etc/libvirt/nwfilter", self.root / "etc" / "nwfilter")

    def libvirtd_conf(self) -> str:
        return super().libvirtd_conf() + (
            f'listen_tls = 0\nlisten_tcp = 1\nlisten_addr = "{self.address}"\nauth_tcp = "none"\n'
            f'host_uuid = "{self.host_uuid}"\nkeepalive_interval = 5\n'
        )

    def qemu_conf(self) -> str:
        return super().qemu_conf() + f'migration_address = "{self.address}"\n'

    def command(self, script: str) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *super().command(script)]

    def plug(self) -> None:
        """Its namespace and its end of a veth pair on the bridge, with its address."""
        sh("ip", "netns", "add", self.netns)
        sh("ip", "link", "add", self.veth, "type", "veth", "peer", "name", "eth0", "netns", self.netns)
        sh("ip", "link", "set", self.veth, "master", BRIDGE, "up")
        inside = ("ip", "netns", "exec", self.netns, "ip")
        sh(*inside, "addr", "add", f"{self.address}/{PREFIX}", "dev", "eth0")
        sh(*inside, "link", "set", "eth0", "up")
        sh(*inside, "link", "set", "lo", "up")

    def start(self, **kwargs) -> None:
        super().start(options="--listen", **kwargs)

    def power_off(self) -> None:
        """As if the machine were switched off: its daemon stopped and every guest process killed
        (their definitions stay, as on a host's disk). start() powers it on again."""
        self.stop()
        pids = sh("ip", "netns", "pids", self.netns, check=False).stdout.split()
        if pids:
            sh("kill", "-9", *pids, check=False)

    def clear(self) -> None:
        """Its guests gone, its daemon stopped, anything left in its namespace killed, unplugged."""
        with contextlib.suppress(libvirt.libvirtError):
            conn = libvirt.open(self.local_uri)
            for domain in conn.listAllDomains(0):
                with contextlib.suppress(libvirt.libvirtError):
                    if domain.isActive():
                        domain.destroy()
            conn.close()
        self.power_off()
        sh("ip", "netns", "del", self.netns, check=False)
        sh("ip", "link", "del", self.veth, check=False)


@dataclass
class Lab:
    hosts: dict[str, LabHost] = field(default_factory=dict)

    def up(self) -> "Lab":
        down()
        SHARED.mkdir(parents=True, exist_ok=True)
        sh("ip", "link", "add", BRIDGE, "type", "bridge")
        sh("ip", "addr", "add", f"{BRIDGE_ADDRESS}/{PREFIX}", "dev", BRIDGE)
        sh("ip", "link", "set", BRIDGE, "up")
        for name, address in HOSTS.items():
            host = self.hosts[name] = LabHost(name, address)
            host.plug()
            host.start()
        return self

    def down(self) -> None:
        for host in self.hosts.values():
            host.clear()
        down()


def down() -> None:
    """Whatever an earlier run left: daemons, namespaces, links, folders."""
    for name, address in HOSTS.items():
        LabHost(name, address).clear()
    sh("ip", "link", "del", BRIDGE, check=False)
    shutil.rmtree(ROOT, ignore_errors=True)


if __name__ == "__main__":
    libvirt.registerErrorHandler(lambda *_: None, None)  # "not started yet" while waiting is expected
    command = sys.argv[1] if len(sys.argv) > 1 else "status"
    if command == "up":
        lab = Lab().up()
        for host in lab.hosts.values():
            print(f"{host.name}: {host.uri}  (migration address {host.address}; shared storage {SHARED})")
    elif command == "down":
        down()
    else:
        print(sh("ip", "netns", "list").stdout or "no lab namespaces")
