"""Host maintenance on the lab's two hosts, with the real jobs and guests: starting it drains the host
(both running guests live-migrate to the other host, a line each), nothing new lands there meanwhile
(a spawn and a migration aimed at it are refused), and ending it reopens the host."""

from hosts.models import Host
from instances.models import Instance
from instances.services import create_instance, request_operation
from jobs.services import start_operation
from tests.support.guest import NAME_PREFIX
from tests.support.lab_hosts import lookup
from tests.support.waiting import wait_for_operation


def test_maintenance_drains_the_host_and_nothing_new_lands_there(lab_hosts, lab_conns, shared_storage, spawn_on,
                                                                 admin_user, tiny_flavor, tiny_image):  # fmt: skip
    source, dest = lab_hosts
    guests = [spawn_on(source), spawn_on(source)]

    op = wait_for_operation(start_operation(kind="host.maintenance", target=source, user=admin_user).pk, timeout=300)

    assert op.status == "succeeded", op.error
    assert op.message == f"2 of 2 guests moved off {source.name}; it is in maintenance"
    assert sorted(op.result["lines"]) == sorted(guest.name for guest in guests)
    moved = f"moved to {dest.name}: Moved to {dest.name} in"
    assert all(line.startswith(moved) for line in op.result["lines"].values())
    for guest in guests:
        assert Instance.objects.get(pk=guest.pk).host_id == dest.pk
        assert lookup(lab_conns[source.name], guest) is None and lookup(lab_conns[dest.name], guest).isActive()
    assert Host.objects.get(pk=source.pk).maintenance

    spawn = create_instance(host=source, name=f"{NAME_PREFIX}refused", flavor=tiny_flavor, image=tiny_image,
                            user=admin_user)  # fmt: skip
    spawn = wait_for_operation(spawn.pk, timeout=60)
    assert spawn.status == "failed" and spawn.error == f"{source.name} is in maintenance: no new instance lands there."
    back = request_operation(instance=guests[0], kind="instance.live_migrate", user=admin_user,
                             params={"destination": source.pk})  # fmt: skip
    back = wait_for_operation(back.pk, timeout=60)
    assert back.status == "failed" and f"{source.name} is in maintenance: nothing new lands there" in back.error
    assert lookup(lab_conns[dest.name], guests[0]).isActive()

    end = wait_for_operation(start_operation(kind="host.end_maintenance", target=source, user=admin_user).pk)
    assert end.status == "succeeded" and not Host.objects.get(pk=source.pk).maintenance
