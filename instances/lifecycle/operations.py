"""Power and lifecycle operations on the worker: start, shut down (graceful, then forced),
reboot (soft falls back to hard), pause, suspend (managed save), NMI, autostart."""

import time

from django.conf import settings

from instances.models import InstanceState
from instances.operation_support import boot, done, on_instance, reconnect, require_state
from jobs.registry import operation
from virt.errors import HostUnreachable, VirtError
from virt.stopping import Stopped

RECONNECT_GRACE = 60  # seconds a host may take to answer again after the power-off timeout


def power_off(ctx, report, *, timeout: float, retry: float, progress=(10, 80)) -> str:
    """Press the ACPI power button every `retry` seconds until the guest is off or `timeout`
    passed, then force it off. Returns "graceful" or "forced"."""
    start, end = progress
    deadline = time.monotonic() + timeout
    presses = 0
    while (left := deadline - time.monotonic()) > 0:
        percent = start + int((end - start) * (timeout - left) / timeout)
        try:
            ctx.guest.shutdown()
            presses += 1
            report(percent, f"Power button pressed ({presses}×); waiting for the guest")
            if ctx.guest.wait_for_state({InstanceState.SHUTOFF}, timeout=min(retry, left)):
                return "graceful"
        except HostUnreachable as error:  # its libvirtd restarts: QEMU keeps running, so wait for it
            report(percent, f"The host does not answer ({error}); waiting for it")
            reconnect(ctx, until=deadline + RECONNECT_GRACE)
        except Stopped:
            raise Stopped("the guest was asked to power off and was not forced off") from None
        except VirtError as error:
            report(end, f"The guest cannot be asked to power off ({error}); forcing it off")
            break
    else:
        report(end, f"Still running after {timeout:g} s: forcing it off")
    ctx.guest.destroy()
    return "forced"


def timeouts(params: dict) -> tuple[float, float]:
    """(timeout, retry) of a graceful power off: the operation's own, else the settings'."""
    timeout = float(params.get("timeout", settings.POWER_OFF_TIMEOUT))
    retry = float(params.get("retry", settings.POWER_OFF_RETRY))
    return timeout, retry


def power_off_for(ctx, report, params: dict, *, progress: tuple[int, int]) -> str:
    """power_off with the operation's timeouts (resize, rebuild); reports how it went."""
    timeout, retry = timeouts(params)
    how = power_off(ctx, report, timeout=timeout, retry=retry, progress=progress)
    report(progress[1], "Powered off by the guest (ACPI)" if how == "graceful" else f"Forced off after {timeout:g} s")
    return how


@operation("instance.start", label="Start instance", stoppable=True)
def start(op, report):
    with on_instance(op, report, "Starting") as ctx:
        state = require_state(ctx, "start")
        if state == InstanceState.CRASHED:
            ctx.guest.destroy()
        boot(ctx, report, progress=30)
        verb = "Resumed from saved memory" if state == InstanceState.SUSPENDED else "Started"
        return {**done(ctx, report), "message": verb}


@operation("instance.stop", label="Shut down instance", stoppable=True)
def stop(op, report):
    with on_instance(op, report, "Shutting down") as ctx:
        if op.params.get("force"):
            require_state(ctx, "force-stop")
            ctx.guest.destroy()
            return {**done(ctx, report), "message": "Forced off"}
        require_state(ctx, "stop")
        timeout, retry = timeouts(op.params)
        how = power_off(ctx, report, timeout=timeout, retry=retry)
        message = "Powered off by the guest (ACPI)" if how == "graceful" else f"Forced off after {timeout:g} s"
        return {**done(ctx, report), "message": message}


@operation("instance.reboot", label="Reboot instance", stoppable=True)
def reboot(op, report):
    """Soft: the guest shuts down (ACPI) and is started again, hard after the timeout (Nova's
    soft reboot and poll_rebooting_instances in one). Hard: stopped at once and started."""
    with on_instance(op, report, "Rebooting") as ctx:
        if op.params.get("hard"):
            require_state(ctx, "hard-reboot")
            ctx.guest.destroy()
            message = "Rebooted hard"
        else:
            require_state(ctx, "reboot")
            timeout, retry = timeouts(op.params)
            how = power_off(ctx, report, timeout=timeout, retry=retry)
            message = "Rebooted" if how == "graceful" else f"No shutdown within {timeout:g} s: rebooted hard"
        boot(ctx, report)
        return {**done(ctx, report), "message": message}


def _simple(kind: str, label: str, *, message: str, action: str, call: str):
    """Register an operation that checks the state (the action table's `action`) and makes one Guest call."""

    @operation(kind, label=label)
    def handler(op, report):
        with on_instance(op, report, message) as ctx:
            require_state(ctx, action)
            getattr(ctx.guest, call)()
            return done(ctx, report)

    return handler


pause = _simple("instance.pause", "Pause instance", message="Pausing", action="pause", call="pause")
unpause = _simple("instance.unpause", "Unpause instance", message="Unpausing", action="unpause", call="unpause")
# Managed save: memory to disk, guest stopped; Start/Resume restores it.
suspend = _simple(
    "instance.suspend", "Suspend instance", message="Saving memory to disk", action="suspend", call="managed_save"
)


@operation("instance.nmi", label="Send NMI")
def nmi(op, report):
    with on_instance(op, report, "Sending a non-maskable interrupt") as ctx:
        require_state(ctx, "nmi")
        ctx.guest.inject_nmi()
        return {**done(ctx, report), "message": "NMI sent"}


@operation("instance.autostart", label="Set autostart")
def autostart(op, report):
    enabled = bool(op.params.get("enabled"))
    with on_instance(op, report, "Setting autostart") as ctx:
        ctx.guest.set_autostart(enabled)
        return {**done(ctx, report), "message": "Autostart on" if enabled else "Autostart off"}
