"""Creating an instance (spawn) and deleting one with everything it left on the host."""

import contextlib
import logging
import time

from django.conf import settings
from django.db import close_old_connections
from django.urls import reverse

from hosts.credentials import UnreadableSecret, decrypt
from hosts.models import Host
from instances.build.pinning import choosing_cpus, dedicated_cpus, store_definition
from instances.guest_type.operations import virt_type_for
from instances.images.cache import cache_image
from instances.models import Instance, InstanceState
from instances.operation_support import Context, boot, done, on_instance
from jobs.models import Operation
from jobs.registry import OperationFailed, operation
from live.broadcast import broadcast
from virt import consoles, firewall, images, logs, stopping
from virt.configdrive import InjectedFile, build_nocloud_iso
from virt.errors import NotFound, VirtError
from virt.guest import Guest
from virt.numa import host_cells
from virt.policy import GuestSpec, PolicyError, build_domain
from virt.snapshots import overlay_volumes
from virt.stopping import Stopped

log = logging.getLogger(__name__)
GIB = 1024**3
FIREWALL_SPEC = "lvc:firewall"  # extra spec: the host filter (e.g. clean-traffic) every NIC is filtered by


def own_volumes(instance: Instance) -> list[str]:
    """Names of the volumes the console creates for an instance in the instance pool."""
    uuid = instance.uuid
    return [f"{uuid}-disk.qcow2", f"{uuid}-config.iso", f"{uuid}-rescue.qcow2", f"{uuid}-console.log",
            f"{uuid}-disk.pre-resize.qcow2"]  # fmt: skip


def config_drive(op, instance: Instance) -> bytes:
    """The NoCloud ISO of the instance, from the operation's params (password, SSH keys, files)."""
    params = op.params
    try:
        password = decrypt(params.get("admin_password", ""))
    except UnreadableSecret as error:
        raise OperationFailed(str(error)) from None
    files = tuple(InjectedFile(path=path, content=content) for path, content in params.get("files", []))
    return build_nocloud_iso(instance_id=str(instance.uuid), hostname=instance.name, admin_password=password,
                             ssh_keys=tuple(params.get("ssh_keys", [])), files=files)  # fmt: skip


def forget_secrets(op) -> None:
    """The admin password is on the config drive now; the operation's input need not keep it."""
    params = {key: value for key, value in op.params.items() if key != "admin_password"}
    Operation.objects.filter(pk=op.pk).update(params=params)


def make_root_disk(conn, instance: Instance, cached: dict, pool: str, name: str) -> str:
    """A fresh root disk for the instance (its flavor's size at least): an empty overlay on its
    image's cached disk, or a blank disk for an image that boots a kernel; "" when it has none."""
    flavor, image = instance.flavor, instance.image
    if "disk" in cached:
        capacity = max(flavor.disk_gib * GIB, images.capacity_of(conn, cached["disk"]))
        return images.create_overlay(conn, pool, name, backing=cached["disk"], backing_format=image.disk_format,
                                     capacity=capacity)  # fmt: skip
    if flavor.disk_gib:
        return images.create_blank(conn, pool, name, capacity=flavor.disk_gib * GIB)
    return ""


def _spawn(op, report, ctx: Context) -> str:
    instance, conn = ctx.instance, ctx.conn
    flavor, image, uuid = instance.flavor, instance.image, str(instance.uuid)
    if flavor is None or image is None:
        raise OperationFailed("The instance's flavor or image was removed meanwhile.")
    report(8, "Preparing the storage pools")
    pool_path = images.ensure_pool(conn, settings.INSTANCE_POOL_NAME, settings.INSTANCE_POOL_PATH)
    cached = cache_image(conn, instance.host, image, report)

    report(45, "Creating the root disk")
    pool = settings.INSTANCE_POOL_NAME
    root = make_root_disk(conn, instance, cached, pool, f"{uuid}-disk.qcow2")

    report(55, "Writing the config drive")
    drive = images.write_volume(conn, pool, f"{uuid}-config.iso", config_drive(op, instance))
    forget_secrets(op)

    networks, nic_filter = tuple(op.params.get("networks", [])), ""
    base = str(flavor.extra_specs.get(FIREWALL_SPEC, "")).strip()
    if base and networks:
        report(60, f"Defining its firewall filter (on {base})")
        nic_filter = firewall.define_instance_filter(conn, uuid, base)

    virt_type = virt_type_for(conn, instance.host, report)  # (may probe KVM: not while holding the CPUs)
    report(65, "Defining the guest")
    with choosing_cpus(instance, report):
        spec = GuestSpec(
            name=instance.name, uuid=uuid, vcpus=flavor.vcpus, memory_mib=flavor.memory_mib,
            root_disk=root, root_format="qcow2", config_drive=drive,
            kernel=cached.get("kernel", ""), initrd=cached.get("initrd", ""),
            cmdline=image.cmdline if "kernel" in cached else "",
            graphics=flavor.graphics, console_address=instance.host.console_host,
            console_password=consoles.unguessable_password(),
            serial_log=f"{pool_path}/{uuid}-console.log", networks=networks,
            virt_type=virt_type, extra_specs=dict(flavor.extra_specs),
            host_cells=host_cells(conn), nic_filter=nic_filter, taken_cpus=dedicated_cpus(instance),
        )  # fmt: skip
        try:
            xml = build_domain(spec).to_xml()
        except PolicyError as error:
            raise OperationFailed(f"The flavor's extra specs do not fit: {error}") from None
        ctx.guest = Guest.define(conn, xml)
        store_definition(instance, conn)  # its pins, for the next spawn on this host to read
    if not op.params.get("start", True):
        return ""
    boot(ctx, report)
    return console_silence(conn, spec.serial_log, report)


def console_silence(conn, serial_log: str, report) -> str:
    """ "" once the new guest's console has printed something, else (after SPAWN_CONSOLE_WAIT
    seconds) a warning: a kernel that never writes to its console is likely not starting."""
    wait = settings.SPAWN_CONSOLE_WAIT
    if not wait:
        return ""
    report(90, f"Waiting for the first output on its console (at most {wait:g} s)")
    deadline = time.monotonic() + wait
    while True:
        with contextlib.suppress(NotFound):  # the log is made when the guest first writes
            if logs.log_size(conn, serial_log) > 0:
                return ""
        if time.monotonic() >= deadline:
            return (f"Its console printed nothing within {wait:g} s: its kernel may not be starting (a guest type "
                    "this host cannot run, or an image that does not boot). Look at its console.")  # fmt: skip
        stopping.sleep(0.5)  # an abort ends the wait at once (the spawn is stoppable)


def remove_from_host(conn, instance: Instance) -> int:
    """Destroy and undefine its domain (when there is one), delete the volumes the console made for
    it and its firewall filter. Returns how many volumes were deleted."""
    uuid = str(instance.uuid)
    try:
        guest = Guest.lookup(conn, uuid)
    except NotFound:
        guest = None
    if guest is not None:
        with contextlib.suppress(NotFound):  # a guest that failed to start may vanish meanwhile
            guest.destroy()
            guest.undefine()
    pool = settings.INSTANCE_POOL_NAME
    deleted = images.delete_named(conn, pool, own_volumes(instance) + overlay_volumes(conn, pool, uuid))
    firewall.remove_instance_filter(conn, uuid)
    return len(deleted)


def hold(instance: Instance, left: str) -> str:
    """Keep the row in state Error saying what is left on the host (Delete tries again)."""
    details = {**Instance.objects.get(pk=instance.pk).details, "left": left}
    Instance.objects.filter(pk=instance.pk).update(state=InstanceState.ERROR, details=details)
    broadcast("instances", {"id": "all", "host_id": instance.host_id})
    return f"{left}. It is kept in state Error: Delete tries again"


def forget_or_hold(instance: Instance, conn, *, doing: str) -> str:
    """Remove the instance from its host, then from the inventory; when the host side fails, hold it."""
    try:
        remove_from_host(conn, instance)
    except VirtError as error:
        return hold(instance, f"{doing} could not finish on {instance.host}: {error}")
    Instance.objects.filter(pk=instance.pk).delete()
    broadcast("instances", {"id": "all", "host_id": instance.host_id})
    return "everything made for it was removed"


def _cleanup(ctx: Context) -> str:
    """Undo a failed spawn: nothing of it stays on the host or in the inventory (or, if the host
    side cannot be cleaned, the row stays in state Error, saying what is left)."""
    return forget_or_hold(ctx.instance, ctx.conn, doing="Removing the failed build")


def _forget_unbuilt(op) -> None:
    """The spawn never ran, or failed before building anything: the row it was queued with goes."""
    instance = Instance.objects.filter(pk=op.target_id, state=InstanceState.BUILDING).first()
    if instance is not None:
        instance.delete()
        broadcast("instances", {"id": "all", "host_id": instance.host_id})


@operation("instance.spawn", label="Create instance", action="add", timeout=3600, stoppable=True,
           not_run=_forget_unbuilt)  # fmt: skip
def spawn(op, report):
    try:
        return _spawn_on_host(op, report)
    except (OperationFailed, VirtError):  # e.g. its host did not answer: nothing was built
        _forget_unbuilt(op)
        raise


def _spawn_on_host(op, report):
    with on_instance(op, report, "Creating", need_guest=False) as ctx:
        if Host.objects.filter(pk=ctx.instance.host_id, maintenance=True).exists():
            raise OperationFailed(f"{ctx.instance.host} is in maintenance: no new instance lands there.")
        try:
            warning = _spawn(op, report, ctx)
        except BaseException as error:
            forget_secrets(op)
            close_old_connections()
            cleaned = _cleanup(ctx)
            if isinstance(error, Stopped):
                raise Stopped(f"the new instance was not finished; {cleaned}") from None
            if isinstance(error, (OperationFailed, VirtError)) and "Error" in cleaned:
                raise OperationFailed(f"{error} {cleaned}.") from None
            raise
        Instance.objects.filter(pk=ctx.instance.pk, state=InstanceState.BUILDING).update(state=InstanceState.UNKNOWN)
        if warning:
            return {**done(ctx, report), "message": "Created, with a warning: its console stayed silent",
                    "warning": warning}  # fmt: skip
        return {**done(ctx, report), "message": "Created"}


@operation("instance.delete", label="Delete instance", action="delete")
def delete(op, report):
    """Destroy, undefine (managed save, snapshot metadata, NVRAM with it) and delete the volumes
    and the firewall filter the console made for it. Disks of adopted guests outside the instance pool are kept."""
    with on_instance(op, report, "Deleting", need_guest=False) as ctx:
        instance = ctx.instance
        report(30, "Stopping it, removing its definition and deleting its volumes")
        try:
            deleted = remove_from_host(ctx.conn, instance)
        except VirtError as error:
            raise OperationFailed(hold(instance, f"Deleting it could not finish on {instance.host}: {error}")) from None
        Instance.objects.filter(pk=instance.pk).delete()
        broadcast("instances", {"id": "all", "host_id": instance.host_id})
        return {"url": reverse("instance-list"), "link_text": "Instances",
                "message": f"Deleted with {deleted} volume(s)"}  # fmt: skip
