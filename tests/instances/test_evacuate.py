"""Evacuation between the two namespaced hosts of the lab (tests/support/lab.py), with the real
monitor and job: a host is switched off, its guest comes back on the other host from its disks on
shared storage, and when the dead host is switched on again its stale domain is removed — never
started, never adopted — while the instance stays where it was evacuated to."""

import libvirt

from hosts.models import Host, HostStatus
from instances.models import Evacuation, Instance
from jobs.services import start_operation
from tests.support.instances import in_guest, succeeded
from tests.support.lab_hosts import lab_guest, lookup
from tests.support.monitor import running_monitor
from tests.support.waiting import wait_for_operation, wait_until


def test_a_dead_hosts_guest_is_rebuilt_on_the_other_host_and_its_stale_domain_goes_when_it_returns(
    lab, lab_hosts, lab_conns, shared_storage, spawn_on, admin_user
):
    source, dest = lab_hosts
    instance = spawn_on(source)
    guest = lab_guest(lab_conns[source.name], instance)
    in_guest(guest, "echo MARK-5127 | dd of=/dev/vda conv=fsync")  # flushed to the disk: it survives a power cut
    dead = lab.hosts[source.name]
    with running_monitor():
        dead.power_off()
        try:
            wait_until(lambda: Host.objects.get(pk=source.pk).status == HostStatus.DOWN, timeout=30,
                       what="the monitor seeing the host down")  # fmt: skip
            queued = start_operation(kind="host.evacuate", target=source, user=admin_user, params={"from_image": False})
            op = succeeded(wait_for_operation(queued.pk, timeout=180))
            row = Instance.objects.get(pk=instance.pk)
            assert (row.host_id, row.state) == (dest.pk, "running"), op.message
            assert "on its own disks (shared storage), started" in op.result["lines"][instance.name]
            assert "MARK-5127" in in_guest(lab_guest(lab_conns[dest.name], row), "head -c 9 /dev/vda")
        finally:
            dead.start()
            lab_conns[source.name] = libvirt.open(dead.uri)
        assert lookup(lab_conns[source.name], instance) is not None  # the stale domain, shut off, until the monitor...
        wait_until(lambda: not Evacuation.objects.exists() and lookup(lab_conns[source.name], instance) is None,
                   timeout=60, what="the stale domain removed from the host that came back")  # fmt: skip
    row = Instance.objects.get(pk=instance.pk)
    assert (row.host_id, row.state) == (dest.pk, "running")
    assert Instance.objects.filter(uuid=instance.uuid).count() == 1
    assert lookup(lab_conns[dest.name], row).isActive()
