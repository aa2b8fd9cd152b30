"""What instance operations share: the per-instance lock, a connection to the instance's host,
the guest, its state checked against the action table, and writing the guest's new state back
to the inventory."""

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from redis.exceptions import RedisError

from hosts.connections import pool
from hosts.credentials import UnreadableSecret
from instances import device_stats
from instances.actions import ACTIONS
from instances.inventory import apply_domain
from instances.models import Instance, InstanceState
from jobs.claims import claim
from jobs.registry import OperationFailed
from virt import stopping
from virt.domains import read_device_stats, read_domain, read_domain_details
from virt.errors import HostUnreachable, NotFound, VirtError
from virt.guest import Guest
from virt.stopping import Stopped

log = logging.getLogger(__name__)
BOOT_TIMEOUT = 60  # seconds for a started guest to be running


@dataclass
class Context:
    instance: Instance
    conn: object  # the host's libvirt connection (only handed on to virt/)
    guest: Guest | None


def lock_key(instance_id: int) -> str:
    return f"lvc:instance-lock:{instance_id}"


@contextmanager
def instance_lock(instance_id: int):
    """Serialize operations on one instance across every worker (a claim: a Redis lock the job's
    heartbeat keeps, so a worker that dies frees it within a minute)."""
    with claim(lock_key(instance_id), busy="Busy: another operation is running on this instance."):
        yield


def on_instance(op, report, message: str, *, need_guest: bool = True):
    """`with on_instance(op, report, "Starting") as ctx:` — locked, connected, guest looked up."""
    return on_instance_id(int(op.target_id), report, message, need_guest=need_guest)


@contextmanager
def on_instance_id(instance_id: int, report, message: str, *, need_guest: bool = True):
    """on_instance for an instance that is not the operation's target (a host's drain moves many)."""
    try:
        instance = Instance.objects.select_related("host").get(pk=instance_id)
    except Instance.DoesNotExist:
        raise OperationFailed("The instance no longer exists.") from None
    with instance_lock(instance.pk):
        report(5, message)
        try:
            credentials = instance.host.credentials()
        except UnreadableSecret as error:
            raise OperationFailed(str(error)) from None
        with pool().connection(instance.host.uri, credentials) as conn:
            guest = None
            if need_guest:
                try:
                    guest = Guest.lookup(conn, str(instance.uuid))
                except NotFound:
                    raise OperationFailed(f"{instance} is no longer defined on {instance.host}.") from None
            ctx = Context(instance=instance, conn=conn, guest=guest)
            try:
                yield ctx
            except Stopped as stopped:  # aborted: say what it left, as the host reports it now
                raise Stopped(f"{stopped}{_state_now(ctx)}") from None


def reconnect(ctx: Context, *, until: float) -> None:
    """The host's connection broke under a job (its libvirtd restarted, the network blinked): open a
    new one and look the guest up again, trying every second (abortable) until `until`
    (time.monotonic()); HostUnreachable then."""
    uri, credentials = ctx.instance.host.uri, ctx.instance.host.credentials()
    pool().drop(uri)
    while True:
        try:
            ctx.conn = pool().get(uri, credentials)
            ctx.guest = Guest.lookup(ctx.conn, str(ctx.instance.uuid))
            return
        except HostUnreachable:
            if time.monotonic() >= until:
                raise
            stopping.sleep(1, "waiting for the host to answer again")


def _state_now(ctx: Context) -> str:
    """ "; web-1 is running (as its host reports it now)" after re-reading the guest, or ""."""
    if not Instance.objects.filter(pk=ctx.instance.pk).exists():
        return ""
    record_state(ctx)
    instance = Instance.objects.get(pk=ctx.instance.pk)
    return f"; {instance} is {instance.get_state_display().lower()} (as its host reports it now)"


def require_state(ctx: Context, action: str) -> str:
    """The guest's state as libvirt reports it now, when the action table allows `action` in it;
    else OperationFailed ("Cannot shut down web-1: it is paused.")."""
    rule = ACTIONS[action]
    state = ctx.guest.state()
    if state not in rule.states:
        label = InstanceState(state).label.lower() if state in InstanceState.values else state
        raise OperationFailed(f"Cannot {rule.doing or rule.name} {ctx.instance}: it is {label}.")
    return state


def boot(ctx: Context, report, *, progress: int = 85) -> None:
    """Start the guest and wait until it runs (start, reboot, spawn, rescue)."""
    report(progress, "Starting the guest")
    ctx.guest.start()
    if not ctx.guest.wait_for_state({InstanceState.RUNNING}, timeout=BOOT_TIMEOUT):
        raise OperationFailed(f"{ctx.instance} did not reach running within {BOOT_TIMEOUT} s.")


def record_state(ctx: Context) -> None:
    """Write the guest's state and definition to the inventory now, not waiting for the monitor."""
    uuid = str(ctx.instance.uuid)
    try:
        record = read_domain(ctx.conn, uuid)
        apply_domain(ctx.instance.host, uuid, record, read_domain_details(ctx.conn, uuid) if record else None)
        if record is not None:
            device_stats.store({uuid: read_device_stats(ctx.conn, uuid)})
    except (VirtError, RedisError) as error:  # the change itself went through; the monitor will catch up
        log.warning("could not re-read %s: %s", ctx.instance, error)


def done(ctx: Context, report) -> dict:
    report(95, "Reading the instance again")
    record_state(ctx)
    return {"url": reverse("instance-detail", args=[ctx.instance.pk]), "link_text": str(ctx.instance)}


def unplug(op, report, name: str, detach) -> dict:
    """Detach the device `name` with `detach(guest, name, timeout=...)` (Guest.detach_disk or
    detach_nic), giving the guest the operation's `timeout` (DETACH_TIMEOUT by default) to let go."""
    timeout = float(op.params.get("timeout", settings.DETACH_TIMEOUT))
    with on_instance(op, report, f"Detaching {name}") as ctx:
        report(20, f"Asking the guest to release {name} (up to {timeout:g} s)")
        detach(ctx.guest, name, timeout=timeout)
        return {**done(ctx, report), "message": f"Detached {name}"}
