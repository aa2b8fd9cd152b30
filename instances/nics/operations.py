"""NIC operations on the worker: attach a NIC on a network or bridge, detach it
(waiting for the guest), set its link up or down."""

from instances.operation_support import done, on_instance, unplug
from jobs.registry import operation
from virt.guest import Guest


@operation("instance.attach_interface", label="Attach network interface")
def attach(op, report):
    params = op.params
    with on_instance(op, report, f"Attaching a NIC on {params['source']}") as ctx:
        mac = ctx.guest.attach_nic(kind=params["type"], source=params["source"], model=params.get("model", "virtio"))
        return {**done(ctx, report), "message": f"Attached {mac} on {params['source']}", "mac": mac}


@operation("instance.detach_interface", label="Detach network interface", stoppable=True)
def detach(op, report):
    return unplug(op, report, op.params["mac"], Guest.detach_nic)


@operation("instance.set_link", label="Set link state")
def link(op, report):
    mac, up = op.params["mac"], bool(op.params.get("up"))
    with on_instance(op, report, f"Setting the link of {mac} {'up' if up else 'down'}") as ctx:
        ctx.guest.set_link(mac, up=up)
        return {**done(ctx, report), "message": f"Link of {mac} {'up' if up else 'down'}"}
