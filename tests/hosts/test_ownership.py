"""Several monitors share the hosts: each host has exactly one holder, a monitor joining or
leaving moves only its share, a dead one's hosts are taken over once its leases expire, and a
monitor that lost a lease can no longer write what it saw of that host."""

import pytest
from django.db.models.functions import Now

from hosts.models import Host, HostLease, HostStatus, MonitorMember
from hosts.monitor import Monitor
from hosts.ownership import LeaseLost, Ownership, preferred
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)  # as the monitors: committed rows only
HOSTS = 30


@pytest.fixture
def host_pks():
    return [Host.objects.create(name=f"h{n}", uri=f"test:///h{n}").pk for n in range(HOSTS)]


def settle(monitors: list[Ownership], host_pks: list[int]) -> None:
    """Two rounds of steps: the first makes everyone a member and hands over, the second claims."""
    for _ in range(2):
        for monitor in monitors:
            monitor.step(host_pks)


def holders() -> dict[int, tuple[str, int]]:
    """host pk -> (holder, epoch) of every unexpired lease, as the database has them."""
    live = HostLease.objects.filter(expires__gt=Now())
    return {pk: (monitor, epoch) for pk, monitor, epoch in live.values_list("host_id", "monitor", "epoch")}


def test_two_monitors_split_the_hosts_and_every_host_has_exactly_one_holder(host_pks):
    a, b = Ownership("a", ttl=30), Ownership("b", ttl=30)
    settle([a, b], host_pks)

    assert set(a.held) | set(b.held) == set(host_pks)
    assert not set(a.held) & set(b.held)
    assert 5 <= len(a.held) <= HOSTS - 5, "each takes a share"
    assert holders() == {**{pk: ("a", e) for pk, e in a.held.items()}, **{pk: ("b", e) for pk, e in b.held.items()}}
    assert all(preferred(["a", "b"], pk) == "a" for pk in a.held)


def test_a_new_monitor_takes_its_share_and_nothing_else_moves(host_pks):
    a, b = Ownership("a", ttl=30), Ownership("b", ttl=30)
    settle([a, b], host_pks)
    before = holders()

    c = Ownership("c", ttl=30)
    settle([a, b, c], host_pks)
    after = holders()

    assert set(after) == set(host_pks) and set(c.held) == {pk for pk, (who, _) in after.items() if who == "c"}
    assert 3 <= len(c.held) <= HOSTS - 10, "about a third"
    assert all(after[pk] == before[pk] for pk in host_pks if pk not in c.held), "the others kept theirs, same epoch"
    assert all(after[pk][1] == before[pk][1] + 1 for pk in c.held), "a takeover raises the epoch"


def test_a_clean_stop_hands_every_host_over_at_the_others_next_step(host_pks):
    a, b = Ownership("a", ttl=30), Ownership("b", ttl=30)
    settle([a, b], host_pks)

    a.leave()
    assert not MonitorMember.objects.filter(name="a").exists()
    b.step(host_pks)

    assert set(b.held) == set(host_pks) and {who for who, _ in holders().values()} == {"b"}


def test_a_dead_monitors_hosts_are_taken_over_once_its_leases_expired(host_pks):
    a, b = Ownership("a", ttl=2), Ownership("b", ttl=2)
    settle([a, b], host_pks)
    lost = set(a.held)  # a stops renewing: as after kill -9

    b.step(host_pks)
    assert not lost & set(b.held), "not while its leases run"
    wait_until(lambda: set(b.step(host_pks)) == set(host_pks), timeout=10, what="b taking a's hosts")
    assert {who for who, _ in holders().values()} == {"b"}


def test_a_host_removed_takes_its_lease_with_it(host_pks):
    a = Ownership("a", ttl=30)
    a.step(host_pks)
    Host.objects.filter(pk=host_pks[0]).delete()

    assert set(a.step(host_pks[1:])) == set(host_pks[1:])
    assert not HostLease.objects.filter(host_id=host_pks[0]).exists()


def test_a_monitor_whose_lease_expired_cannot_write_what_it_saw(settings):
    """A paused monitor: its lease expires, another monitor takes the host over and writes; the
    paused one's late write is refused and the new holder's data stands."""
    settings.MONITOR_LEASE_TTL = 1
    host = Host.objects.create(name="shared", uri="test:///shared", status=HostStatus.UP)
    paused, other = Monitor(name="paused"), Monitor(name="other")
    paused.ownership.step([host.pk])
    assert host.pk in paused.ownership.held

    wait_until(lambda: host.pk in other.ownership.step([host.pk]), timeout=10, what="the takeover")
    other.events.put(("down", host.pk, "seen by the new holder"))
    other.apply_events()
    paused.events.put(("down", host.pk, "a stale view"))  # what the paused one saw before it stopped
    paused.apply_events()

    row = Host.objects.get(pk=host.pk)
    assert (row.status, row.last_error) == (HostStatus.DOWN, "seen by the new holder")
    assert host.pk not in paused.ownership.held
    assert HostLease.objects.get(host=host).monitor == "other"
    with pytest.raises(LeaseLost):
        with paused.ownership.fenced(host.pk):
            pass


def test_the_holder_writes_through_the_fence(db):
    host = Host.objects.create(name="mine", uri="test:///mine", status=HostStatus.UP)
    monitor = Monitor(name="only")
    monitor.ownership.step([host.pk])

    monitor.events.put(("down", host.pk, "libvirtd stopped"))
    monitor.apply_events()

    assert Host.objects.get(pk=host.pk).last_error == "libvirtd stopped"
