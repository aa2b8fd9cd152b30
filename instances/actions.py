"""Which state allows which action: one table for the buttons and links on the instance page, the
views that accept them, the confirmation asked for destructive ones, and the jobs, which check the
state libvirt reports when they run against the same states (operation_support.require_state)."""

import inspect
from dataclasses import dataclass, field

from django.utils.module_loading import import_string

from instances.models import Instance
from instances.models import InstanceState as S

ANY_STATE = frozenset(S) - {S.BUILDING, S.MIGRATING}
MEMORY_STATES = frozenset({S.RUNNING, S.PAUSED})  # a snapshot taken in these states holds the memory too


@dataclass(frozen=True)
class Action:
    name: str
    kind: str  # the operation it queues
    label: str
    states: frozenset
    params: dict = field(default_factory=dict)
    confirm: str = ""  # asked before a destructive action; empty: no confirmation
    rescued: bool | None = False  # True: only while rescued; None: either way
    resizing: bool | None = False  # True: only while a resize waits for Confirm or Revert; None: either way
    doing: str = ""  # for the job's refusal: "Cannot <doing> <instance>: it is <state>." (default: name)
    form: str = ""  # the form asking for its parameters on the confirmation page (dotted path)
    button: bool = True  # a button of the instance page; False: a link to a page of its own
    group: str = "more"  # where its button sits: "power", "state", or the "More…" menu

    def allowed(self, instance: Instance) -> bool:
        if self.rescued is not None and instance.rescued != self.rescued:
            return False
        if self.resizing is not None and instance.resizing != self.resizing:
            return False
        return instance.state in self.states

    def make_form(self, data, instance: Instance, user):
        """Its form (None without one) bound to `data`; forms that check the user's rights get the user."""
        if not self.form:
            return None
        form_class = import_string(self.form)
        takes_user = "user" in inspect.signature(form_class.__init__).parameters
        return form_class(data, instance=instance, **({"user": user} if takes_user else {}))

    @property
    def in_api(self) -> bool:
        """Offered by the API's actions: a button of the page, or a page whose form it takes."""
        return self.button or bool(self.form)


ACTIONS = {
    action.name: action
    for action in [
        Action("start", "instance.start", "Start", frozenset({S.SHUTOFF, S.CRASHED, S.SUSPENDED}), resizing=None,
               group="power"),
        Action("stop", "instance.stop", "Shut down", frozenset({S.RUNNING}), doing="shut down", resizing=None,
               confirm="The guest is asked to power off (ACPI); after the timeout it is forced off.", group="power"),
        Action("force-stop", "instance.stop", "Force off", frozenset({S.RUNNING, S.PAUSED, S.SHUTDOWN, S.CRASHED}),
               params={"force": True}, confirm="The guest is stopped at once, like pulling the plug: unsaved data "
               "in the guest is lost.", rescued=None, doing="force off", resizing=None, group="power"),
        Action("reboot", "instance.reboot", "Reboot", frozenset({S.RUNNING}), resizing=None,
               confirm="The guest is asked to shut down and is started again; a guest that does not shut down "
               "within the timeout is rebooted hard.", group="power"),
        Action("hard-reboot", "instance.reboot", "Hard reboot", frozenset({S.RUNNING, S.PAUSED, S.CRASHED}),
               params={"hard": True}, confirm="The guest is stopped at once and started again: unsaved data in "
               "the guest is lost.", doing="hard reboot", resizing=None, group="power"),
        Action("pause", "instance.pause", "Pause", frozenset({S.RUNNING}), rescued=None, group="state"),
        Action("unpause", "instance.unpause", "Unpause", frozenset({S.PAUSED}), rescued=None, group="state"),
        Action("suspend", "instance.suspend", "Suspend", MEMORY_STATES, group="state"),
        Action("resume", "instance.start", "Resume", frozenset({S.SUSPENDED}), group="state"),
        Action("nmi", "instance.nmi", "Send NMI", frozenset({S.RUNNING}),
               confirm="A non-maskable interrupt is sent to the guest; many kernels panic or dump on it.",
               rescued=None, doing="send an NMI to"),
        Action("quiesce", "instance.quiesce", "Freeze filesystems", frozenset({S.RUNNING}),
               confirm="The guest agent freezes the guest's filesystems: writes in the guest wait until it is "
               "thawed."),
        Action("unquiesce", "instance.unquiesce", "Thaw filesystems", frozenset({S.RUNNING})),
        Action("rescue", "instance.rescue", "Rescue", frozenset({S.RUNNING, S.SHUTOFF, S.CRASHED}),
               confirm="The guest is stopped and boots the rescue image, with its own disk attached.",
               form="instances.rescue.forms.RescueForm"),
        Action("unrescue", "instance.unrescue", "Unrescue", ANY_STATE, rescued=True,
               confirm="The rescue guest is stopped and the original definition is restored and started."),
        Action("rebuild", "instance.rebuild", "Rebuild", frozenset({S.RUNNING, S.SHUTOFF, S.CRASHED}),
               confirm="Its root disk is deleted and made anew from the image, with a new config drive: everything "
               "written to it is lost. Name, UUID, flavor and NIC MACs stay; it is started again if it ran.",
               form="instances.rebuild.forms.RebuildForm"),
        Action("confirm-resize", "instance.confirm_resize", "Confirm resize", ANY_STATE, resizing=True,
               confirm="The instance keeps its new size and host; what it left where it was before is deleted, so "
               "the resize can no longer be reverted.", group="state"),
        Action("revert-resize", "instance.revert_resize", "Revert resize", ANY_STATE, resizing=True,
               confirm="The resized guest is stopped and removed with its new disks; the instance comes back as it "
               "was before the resize, on its old host (started if it was running). What the guest wrote since "
               "the resize is lost.", group="state"),
        Action("autostart-on", "instance.autostart", "Turn autostart on", ANY_STATE, params={"enabled": True}),
        Action("autostart-off", "instance.autostart", "Turn autostart off", ANY_STATE, params={"enabled": False}),
        Action("delete", "instance.delete", "Delete", ANY_STATE, rescued=None,
               confirm="The instance is stopped and undefined, and the disks made for it (its root disk, config "
               "drive, rescue disk), its console log, saved memory and snapshots are deleted. Volumes you attached "
               "from a storage pool are detached and kept. This cannot be undone."),
        # Links to pages of their own (a form, or a confirmation about one device).
        Action("set-password", "instance.set_password", "Set admin password", frozenset({S.RUNNING}),
               doing="set a password on", button=False, form="instances.agent.forms.SetPasswordForm"),
        Action("migrate", "instance.live_migrate", "Migrate", MEMORY_STATES, doing="live-migrate", button=False,
               form="instances.migration.forms.MigrateForm"),
        Action("grow", "instance.grow", "Grow", frozenset({S.RUNNING}), button=False, resizing=None,
               form="instances.resize.forms.GrowForm"),
        Action("clone", "instance.clone", "Clone", frozenset({S.SHUTOFF}), button=False,
               form="instances.clone.forms.CloneForm"),
        Action("resize", "instance.resize", "Resize or cold-migrate", frozenset({S.RUNNING, S.SHUTOFF}),
               doing="resize", button=False, form="instances.resize.forms.ResizeForm"),
        Action("snapshot-image", "instance.snapshot_to_image", "Image from instance", ANY_STATE, rescued=None,
               resizing=None, button=False, form="instances.snapshots.forms.ImageForm"),
        Action("nic-firewall", "instance.nic_firewall", "Firewall of a NIC", ANY_STATE, rescued=None, resizing=None,
               button=False, form="instances.firewall.forms.NicFirewallForm"),
        Action("disk-swap", "instance.swap_volume", "Swap", frozenset({S.RUNNING}), rescued=None, button=False),
        Action("disk-snapshot", "instance.disk_snapshot", "Disk snapshot", frozenset({S.RUNNING}), rescued=None,
               button=False),
        Action("disk-commit", "instance.disk_commit", "Commit", frozenset({S.RUNNING}), rescued=None, button=False),
    ]
}  # fmt: skip


def actions_for(instance: Instance) -> list[Action]:
    """The buttons the instance's current state allows, in display order."""
    found = [action for action in ACTIONS.values() if action.button and action.allowed(instance)]
    return [a for a in found if not a.name.startswith("autostart") or a.params["enabled"] != instance.autostart]


def grouped(actions: list[Action]) -> dict[str, list[Action]]:
    """The buttons by where they sit on the page: {"power": [...], "state": [...], "more": [...]}."""
    groups = {"power": [], "state": [], "more": []}
    for action in actions:
        groups[action.group].append(action)
    return groups


def allowed_now(instance: Instance) -> dict[str, bool]:
    """{action name with '_' for '-': allowed} for templates (`{% if can.disk_swap %}`)."""
    return {name.replace("-", "_"): action.allowed(instance) for name, action in ACTIONS.items()}
