"""The firewall of an existing NIC: put the instance's own filter on it (built on a host filter,
with the NIC's IP address when given) or take it off, in the running guest and the definition."""

from instances.operation_support import done, on_instance
from jobs.registry import operation
from virt import firewall


@operation("instance.nic_firewall", label="Change NIC firewall")
def nic_firewall(op, report):
    mac, base, ip = op.params["mac"], op.params.get("base", ""), op.params.get("ip", "")
    with on_instance(op, report, f"Changing the firewall of {mac}") as ctx:
        if ip:
            firewall.check_ip(ip)  # before anything changes
        name = ""
        if base:
            report(20, f"Defining the instance's filter (on {base})")
            name = firewall.define_instance_filter(ctx.conn, str(ctx.instance.uuid), base)
        report(50, f"Updating {mac}")
        ctx.guest.set_nic_filter(mac, name, {"IP": ip} if ip else None)
        message = f"{mac} is unfiltered"
        if base:
            message = f"{mac} is filtered by {name} (on {base}{f', IP {ip}' if ip else ''})"
        return {**done(ctx, report), "message": message}
