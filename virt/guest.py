"""A domain, spoken to in intent: start, shut down, pause, save, rescue... Booleans become flags
here so callers never see libvirt. Every libvirt error comes out translated (virt.errors)."""

import time

import libvirt

from virt.domains import state_name
from virt.errors import NotFound, translated

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

    @property
    def uuid(self) -> str:
        return self.domain.UUIDString()

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
        """Pull the plug. A guest that is already off is left alone."""
        if self.domain.isActive():
            self.domain.destroy()

    @translated
    def reboot(self) -> None:
        """Ask the guest to reboot (ACPI); returns at once."""
        self.domain.reboot(libvirt.VIR_DOMAIN_REBOOT_ACPI_POWER_BTN)

    @translated
    def reset(self) -> None:
        """Hard reset, like the reset button."""
        self.domain.reset(0)

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
    def has_managed_save(self) -> bool:
        return bool(self.domain.hasManagedSaveImage(0))

    @translated
    def inject_nmi(self) -> None:
        self.domain.injectNMI(0)

    @translated
    def set_autostart(self, enabled: bool) -> None:
        self.domain.setAutostart(1 if enabled else 0)

    @translated
    def autostart(self) -> bool:
        return bool(self.domain.autostart())

    @translated
    def undefine(self) -> None:
        """Forget the definition with its managed-save image, snapshot/checkpoint metadata and NVRAM."""
        self.domain.undefineFlags(_UNDEFINE_ALL)

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
            time.sleep(interval)
