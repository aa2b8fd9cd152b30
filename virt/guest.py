"""A domain, spoken to in intent: start, shut down, pause, save; attach a disk, take a snapshot,
freeze its filesystems... Booleans become flags here so callers never see libvirt; the device,
snapshot, firewall and agent calls live in their own modules (disks, nics, firewall, snapshots,
agent), each a function of the domain that the method of the same intent calls. Every libvirt
error comes out translated (virt.errors)."""

import time
from collections.abc import Callable

import libvirt

from virt import agent, blockjobs, disks, firewall, migration, nics, resize, snapshots, stopping
from virt.domains import state_name
from virt.errors import NotFound, translated
from virt.xml.domain import Domain

Progress = Callable[[int, int], None] | None

# Undefining removes everything libvirt keeps for the domain besides its disks.
_UNDEFINE_ALL = (
    libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
    | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
    | libvirt.VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA
    | libvirt.VIR_DOMAIN_UNDEFINE_NVRAM
)


class Guest:
    def __init__(self, domain: libvirt.virDomain):
        self.domain = domain

    @classmethod
    @translated
    def lookup(cls, conn: libvirt.virConnect, uuid: str) -> "Guest":
        return cls(conn.lookupByUUIDString(uuid))

    @classmethod
    @translated
    def define(cls, conn: libvirt.virConnect, xml: str) -> "Guest":
        return cls(conn.defineXML(xml))

    @property
    def name(self) -> str:
        return self.domain.name()

    @translated
    def state(self) -> str:
        state, _reason = self.domain.state()
        saved = state == libvirt.VIR_DOMAIN_SHUTOFF and bool(self.domain.hasManagedSaveImage(0))
        return state_name(state, managed_save=saved)

    @translated
    def is_active(self) -> bool:
        return bool(self.domain.isActive())

    @translated
    def xml(self, *, secure: bool = False, inactive: bool = False) -> str:
        flags = (libvirt.VIR_DOMAIN_XML_SECURE if secure else 0) | (libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0)
        return self.domain.XMLDesc(flags)

    @translated
    def start(self, *, paused: bool = False) -> None:
        """Boot, or restore the managed-save image when there is one (libvirt does that)."""
        self.domain.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED if paused else 0)

    @translated
    def shutdown(self) -> None:
        """Ask the guest to power off (ACPI power button); returns at once."""
        self.domain.shutdownFlags(libvirt.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN)

    @translated
    def destroy(self) -> None:
        """Pull the plug. A guest that is already off (or stops by itself meanwhile) is left alone."""
        try:
            if self.domain.isActive():
                self.domain.destroy()
        except libvirt.libvirtError:
            if self.domain.isActive():
                raise

    @translated
    def pause(self) -> None:
        self.domain.suspend()

    @translated
    def unpause(self) -> None:
        self.domain.resume()

    @translated
    def managed_save(self) -> None:
        """Save memory to disk and stop; the next start restores it."""
        self.domain.managedSave(0)

    @translated
    def inject_nmi(self) -> None:
        self.domain.injectNMI(0)

    @translated
    def set_autostart(self, enabled: bool) -> None:
        self.domain.setAutostart(1 if enabled else 0)

    @translated
    def undefine(self, *, keep_nvram: bool = False) -> None:
        """Forget the definition with its managed-save image, snapshot/checkpoint metadata and NVRAM
        (kept with `keep_nvram`: a resize may define it again)."""
        if keep_nvram:
            flags = (_UNDEFINE_ALL & ~libvirt.VIR_DOMAIN_UNDEFINE_NVRAM) | libvirt.VIR_DOMAIN_UNDEFINE_KEEP_NVRAM
            self.domain.undefineFlags(flags)
        else:
            self.domain.undefineFlags(_UNDEFINE_ALL)

    def grow(self, *, vcpus: int, memory_mib: int) -> bool:
        """virt.resize.grow_live: more vCPUs and memory while it runs."""
        return resize.grow_live(self.domain, vcpus=vcpus, memory_mib=memory_mib)

    @translated
    def snapshot_count(self) -> int:
        return self.domain.snapshotNum(0)

    def wait_for_state(self, states: set[str], *, timeout: float, interval: float = 0.25) -> bool:
        """Poll until the guest reaches one of `states`; False when `timeout` passed first."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.state() in states:
                    return True
            except NotFound:
                return "gone" in states
            if time.monotonic() >= deadline:
                return False
            stopping.sleep(interval, "stopped while waiting for the guest")

    # --- disks (virt.disks) ---------------------------------------------------------------------

    def attach_disk(self, *, source: str, fmt: str, bus: str = "virtio", target: str = "") -> str:
        """Attach the file `source` live and persistent; returns the target name it got."""
        return disks.attach_disk(self.domain, source=source, fmt=fmt, bus=bus, target=target)

    def detach_disk(self, target: str, *, timeout: float) -> None:
        """Detach the disk at `target`, giving the running guest `timeout` seconds to let go."""
        disks.detach_disk(self.domain, target, timeout=timeout)

    def grow_disk(self, target: str, capacity: int) -> None:
        disks.grow_disk(self.domain, target, capacity)

    def swap_disk(self, target: str, *, source: str, fmt: str, progress: Progress = None) -> None:
        """Copy the running disk onto the file `source` and switch the guest to it."""
        disks.swap_disk(self.domain, target, source=source, fmt=fmt, progress=progress)

    def change_media(self, target: str, source: str) -> None:
        """Insert `source` into the CD-ROM drive at `target`, or eject ("")."""
        disks.change_media(self.domain, target, source)

    # --- network interfaces (virt.nics) and their firewall (virt.firewall) ------------------------

    def attach_nic(self, *, kind: str, source: str, model: str = "virtio") -> str:
        """Attach a NIC on network or bridge `source`; returns its new MAC."""
        return nics.attach_nic(self.domain, kind=kind, source=source, model=model)

    def detach_nic(self, mac: str, *, timeout: float) -> None:
        nics.detach_nic(self.domain, mac, timeout=timeout)

    def set_link(self, mac: str, *, up: bool) -> None:
        nics.set_link(self.domain, mac, up=up)

    def set_nic_filter(self, mac: str, name: str, params: dict[str, str] | None = None) -> None:
        """Put the network filter `name` (with `params`) on the NIC `mac`, or take it off ("")."""
        firewall.set_nic_filter(self.domain, mac, name, params)

    # --- snapshots (virt.snapshots) ---------------------------------------------------------------

    def create_snapshot(self, name: str, description: str = "") -> None:
        """An internal snapshot of the disks, with memory when the guest runs."""
        snapshots.create_snapshot(self.domain, name, description)

    def revert_to_snapshot(self, name: str) -> None:
        snapshots.revert_snapshot(self.domain, name)

    def delete_snapshot(self, name: str, *, children: bool = False) -> None:
        snapshots.delete_snapshot(self.domain, name, children=children)

    def snapshot_disk(self, target: str, name: str) -> str:
        """An external snapshot: a new overlay takes the running disk's writes; returns its path."""
        return snapshots.external_snapshot(self.domain, target, name)

    def commit_disk_snapshot(self, target: str, *, progress: Progress = None) -> str:
        """Merge the overlay of `target` back and delete it; returns the overlay's path."""
        return snapshots.commit_overlay(self.domain, target, progress=progress)

    @translated
    def abort_block_jobs(self) -> list[str]:
        """Cancel the block jobs (copies, commits) left on the guest's disks by a job that died;
        the targets that had one."""
        if not self.domain.isActive():
            return []
        busy = [
            d.target for d in Domain.from_xml(self.domain.XMLDesc(0)).disks if self.domain.blockJobInfo(d.target, 0)
        ]
        for target in busy:
            blockjobs.abort(self.domain, target)
        return busy

    def export_disk(self, target: str, *, pool_name: str, name: str, progress: Progress = None) -> str:
        """What the disk holds now, as a new qcow2 volume `name` of `pool_name`; returns its path."""
        return snapshots.export_disk(self.domain, target, pool_name=pool_name, name=name, progress=progress)

    # --- moving to another host (virt.migration) ----------------------------------------------------

    def live_migrate(self, dest_uri: str, migration_uri: str, tunables: "migration.Tunables", *,
                     console_address: str, copy_disks: list[str] = (), shared_proven: bool = False,
                     progress: Callable[[dict], None] | None = None) -> float:  # fmt: skip
        """Move the running guest to the host at `dest_uri` (peer to peer; its data to
        `migration_uri`; its consoles listening there on `console_address`), persistent there and
        undefined here, copying the disks `copy_disks` (volumes made there first:
        virt.migration_storage), the others on storage the probe proved shared (`shared_proven`);
        the seconds it took. Abortable."""
        definitions = migration.definitions_for(self.domain, console_address)
        return migration.live_migrate(self.domain, dest_uri, migration_uri, tunables, copy_disks=copy_disks,
                                      shared_proven=shared_proven, definitions=definitions,
                                      progress=progress)  # fmt: skip

    def abort_migration(self) -> bool:
        """Abort a migration left running by a job that died; True when one was running."""
        return migration.abort_running(self.domain)

    # --- the guest agent (virt.agent) -------------------------------------------------------------

    def wait_for_agent(self, *, timeout: float) -> None:
        """Returns once the guest agent answers; AgentUnavailable after `timeout` seconds."""
        agent.wait_until_answering(self.domain, timeout=timeout)

    def freeze_filesystems(self) -> int:
        """Quiesce: freeze every filesystem of the guest; returns how many were frozen."""
        return agent.quiesce(self.domain)

    def thaw_filesystems(self) -> int:
        return agent.unquiesce(self.domain)

    def set_user_password(self, user: str, password: str) -> None:
        agent.set_password(self.domain, user, password)
