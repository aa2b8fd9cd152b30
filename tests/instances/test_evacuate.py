"""Evacuation between the two namespaced hosts of the lab (tests/support/lab.py), with the real
monitor and job: a host is switched off, its guest comes back on the other host from its disks on
shared storage, or from its image when its disks were the dead host's own and the admin chose so;
when the dead host is switched on again its stale domain is removed — never started, never adopted
— while the instance stays where it was evacuated to."""

from instances.models import Evacuation, Instance
from jobs.models import Operation
from jobs.services import start_operation
from tests.support.guest import MARKER
from tests.support.instances import in_guest, succeeded
from tests.support.lab_hosts import lab_guest, lookup, switched_off, volumes_of
from tests.support.monitor import running_monitor
from tests.support.waiting import wait_for_operation, wait_until


def test_a_dead_hosts_guest_is_rebuilt_on_the_other_host_and_its_stale_domain_goes_when_it_returns(
    lab, lab_hosts, lab_conns, shared_storage, spawn_on, admin_user
):
    source, dest = lab_hosts
    instance = spawn_on(source)
    guest = lab_guest(lab_conns[source.name], instance)
    in_guest(guest, "echo MARK-5127 | dd of=/dev/vda conv=fsync")  # flushed to the disk: it survives a power cut
    with running_monitor():
        with switched_off(lab, source, lab_conns):
            op = succeeded(wait_for_operation(evacuate(source, admin_user, from_image=False).pk, timeout=180))
            row = Instance.objects.get(pk=instance.pk)
            assert (row.host_id, row.state) == (dest.pk, "running"), op.message
            assert "on its own disks (shared storage), started" in op.result["lines"][instance.name]
            assert "MARK-5127" in in_guest(lab_guest(lab_conns[dest.name], row), "head -c 9 /dev/vda")
        removed = wait_until(stale_domains_removed, timeout=60, what="the stale domain removed from the host")
    assert f"{instance.name} (its domain)" in removed.message
    assert lookup(lab_conns[source.name], instance) is None and not Evacuation.objects.exists()
    row = Instance.objects.get(pk=instance.pk)
    assert (row.host_id, row.state) == (dest.pk, "running")
    assert Instance.objects.filter(uuid=instance.uuid).count() == 1
    assert lookup(lab_conns[dest.name], row).isActive()


def test_a_guest_on_local_storage_is_rebuilt_from_its_image_only_when_chosen(lab, lab_hosts, lab_conns, spawn_on,
                                                                              admin_user):  # fmt: skip
    source, dest = lab_hosts
    instance = spawn_on(source)  # on each host's own storage: the other host cannot see its disks
    guest = lab_guest(lab_conns[source.name], instance)
    in_guest(guest, "echo MARK-8841 | dd of=/dev/vda conv=fsync")
    with running_monitor():
        with switched_off(lab, source, lab_conns):
            refused = wait_for_operation(evacuate(source, admin_user, from_image=False).pk, timeout=120)
            assert refused.status == "failed" and "not on shared storage" in refused.error
            assert "was not chosen" in refused.result["lines"][instance.name]
            assert Instance.objects.get(pk=instance.pk).host_id == source.pk  # nothing changed
            assert lookup(lab_conns[dest.name], instance) is None
            assert not volumes_of(lab_conns[dest.name], instance.uuid)

            op = succeeded(wait_for_operation(evacuate(source, admin_user, from_image=True).pk, timeout=180))
            assert "rebuilt from image" in op.result["lines"][instance.name]
            row = Instance.objects.get(pk=instance.pk)
            assert (row.host_id, row.state) == (dest.pk, "running")
            there = lab_guest(lab_conns[dest.name], row)
            there.wait_for_serial(MARKER, timeout=120)
            assert "MARK-8841" not in in_guest(there, "head -c 9 /dev/vda")  # a fresh disk: what was written is lost
        removed = wait_until(stale_domains_removed, timeout=60, what="the stale domain removed")
    assert f"{instance.name} (its domain, its old disks)" in removed.message and not Evacuation.objects.exists()
    assert lookup(lab_conns[source.name], instance) is None
    assert not volumes_of(lab_conns[source.name], instance.uuid)  # its old disks went too: they were not shared
    assert Instance.objects.get(pk=instance.pk).host_id == dest.pk


def stale_domains_removed() -> Operation | None:
    return Operation.objects.filter(kind="host.remove_evacuated", status="succeeded").first()


def evacuate(host, user, *, from_image: bool):
    return start_operation(kind="host.evacuate", target=host, user=user, params={"from_image": from_image})
