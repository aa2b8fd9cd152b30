"""The inventory follows the hosts: bulk reconcile (libvirt's test driver) and live events (real QEMU)."""

import uuid

import libvirt
import pytest
from lxml import etree

from hosts.models import Host, HostStatus
from instances.inventory import apply_domain, sync_host
from instances.models import Instance, InstanceState
from jobs.models import Operation
from tests.support.monitor import running_monitor
from tests.support.waiting import seconds_until, wait_until
from virt.domains import DomainRecord, read_domain, read_domains

pytestmark = pytest.mark.django_db(transaction=True)


def record(name: str, state: str = "running", **extra) -> DomainRecord:
    return DomainRecord(uuid=extra.pop("uuid", str(uuid.uuid4())), name=name, state=state, autostart=False,
                        persistent=True, **extra)  # fmt: skip


@pytest.fixture
def host(db):
    return Host.objects.create(name="embedded", uri="test:///default")


@pytest.fixture
def private_conn(tmp_path):
    """A test-driver connection with state of its own (test:///default is shared in the process):
    one running domain "test"."""
    node = etree.Element("node")
    domain = etree.SubElement(node, "domain", type="test")
    etree.SubElement(domain, "name").text = "test"
    etree.SubElement(domain, "memory").text = "65536"
    etree.SubElement(etree.SubElement(domain, "os"), "type").text = "hvm"
    path = tmp_path / "node.xml"
    path.write_bytes(etree.tostring(node))
    conn = libvirt.open(f"test://{path}")
    yield conn
    conn.close()


def test_bulk_read_of_the_test_driver(private_conn):
    records = read_domains(private_conn)
    assert [(r.name, r.state, r.persistent) for r in records] == [("test", "running", True)]
    private_conn.lookupByName("test").suspend()
    assert read_domain(private_conn, records[0].uuid).state == "paused"
    assert read_domain(private_conn, str(uuid.uuid4())) is None


def test_reconcile_adopts_updates_and_removes(host, private_conn):
    test_conn = private_conn
    sync_host(host, read_domains(test_conn))
    adopted = Instance.objects.get(host=host)
    assert (adopted.name, adopted.state) == ("test", InstanceState.RUNNING)

    test_conn.lookupByName("test").destroy()
    result = sync_host(host, read_domains(test_conn))
    assert result.changed == 1
    assert Instance.objects.get(pk=adopted.pk).state == InstanceState.SHUTOFF

    test_conn.lookupByName("test").undefine()
    result = sync_host(host, read_domains(test_conn))
    assert result.removed == 1 and not Instance.objects.filter(host=host).exists()


def test_reconcile_keeps_rows_being_built_and_skips_newer_events(host):
    building = Instance.objects.create(host=host, uuid=uuid.uuid4(), name="new", state=InstanceState.BUILDING)
    fresh = record("fresh", "running")
    Instance.objects.create(host=host, uuid=fresh.uuid, name="fresh", state=InstanceState.PAUSED)

    sync_host(host, [fresh], skip=frozenset({fresh.uuid}))  # an event already said "paused"
    assert Instance.objects.get(uuid=fresh.uuid).state == InstanceState.PAUSED
    assert Instance.objects.filter(pk=building.pk, state=InstanceState.BUILDING).exists()


def test_reconcile_of_many_is_a_few_queries(host, django_assert_max_num_queries):
    sync_host(host, [record(f"vm-{n}") for n in range(300)])
    changed = [record(r.name, "shutoff", uuid=str(r.uuid)) for r in Instance.objects.filter(host=host)]
    with django_assert_max_num_queries(12):
        result = sync_host(host, changed)
    assert result.changed == 300
    assert Instance.objects.filter(host=host, state=InstanceState.SHUTOFF).count() == 300


def test_single_change_is_a_conditional_update(host):
    one = record("one", "running")
    apply_domain(host, one.uuid, one)
    row = Instance.objects.get(uuid=one.uuid)
    apply_domain(host, one.uuid, record("one", "paused", uuid=one.uuid), {"disks": []})
    row.refresh_from_db()
    assert (row.state, row.details) == (InstanceState.PAUSED, {"disks": []})
    apply_domain(host, one.uuid, None)
    assert not Instance.objects.filter(pk=row.pk).exists()


@pytest.mark.qemu
def test_out_of_band_changes_reach_the_inventory_through_events(qemu_conn, make_guest):
    host = Host.objects.create(name="this machine", uri="qemu:///system")
    with running_monitor(refresh_interval=30):  # the reconcile runs once; the rest must be events
        wait_until(lambda: Host.objects.get(pk=host.pk).status == HostStatus.UP, timeout=10, what="host up")
        guest = make_guest()  # defined and started outside the console
        wait_until(lambda: Instance.objects.filter(name=guest.name, state="running").exists(),
                   timeout=5, what="adopted running")  # fmt: skip
        row = Instance.objects.get(name=guest.name)
        wait_until(lambda: Instance.objects.get(pk=row.pk).details.get("disks") is not None, timeout=5,
                   what="details read")  # fmt: skip

        guest.domain.destroy()  # like `virsh destroy`
        took = seconds_until(lambda: Instance.objects.get(pk=row.pk).state == "shutoff", timeout=5, what="shut off")
        print(f"out-of-band destroy in the inventory after {took:.2f} s")  # a figure, not a timed assertion

        guest.domain.create()
        wait_until(lambda: Instance.objects.get(pk=row.pk).state == "running", timeout=2, what="running again")
        guest.domain.destroy()
        guest.domain.undefine()
        wait_until(lambda: not Instance.objects.filter(pk=row.pk).exists(), timeout=2, what="removed")


@pytest.mark.qemu
def test_guests_running_before_the_host_went_down_are_started_when_it_comes_back(qemu_conn, make_guest, rq_worker):
    guest = make_guest(start=False)
    host = Host.objects.create(name="this machine", uri="qemu:///system", status=HostStatus.DOWN, resume_guests=True)
    row = Instance.objects.create(host=host, uuid=guest.domain.UUIDString(), name=guest.name, state="running")
    with running_monitor(refresh_interval=30):
        wait_until(lambda: Operation.objects.filter(kind="instance.start", target_id=str(row.pk)).exists(),
                   timeout=10, what="start queued")  # fmt: skip
        wait_until(lambda: guest.domain.isActive(), timeout=30, what="guest started")
    op = Operation.objects.get(kind="instance.start", target_id=str(row.pk))
    assert op.user is None and op.params == {"reason": "host came back"}


def test_a_migrating_instance_is_moved_by_its_job_not_removed_and_adopted_by_the_monitor(host):
    """While its row says Migrating, the source's reconcile (domain gone) keeps it and the
    destination's (domain arrived) adopts no second row, nor does a single event there."""
    there = Host.objects.create(name="other", uri="test:///default?other")
    moving = record("web-1")
    row = Instance.objects.create(host=host, uuid=moving.uuid, name="web-1", state=InstanceState.MIGRATING)
    sync_host(host, [])
    sync_host(there, [moving])
    apply_domain(there, moving.uuid, moving)
    assert list(Instance.objects.values_list("pk", "host_id", "state")) == [(row.pk, host.pk, "migrating")]
