"""libvirtd restarted while a job waits on a guest (a private libvirtd running the tiny guest; QEMU
keeps running across the restart): the job ends with a clear status within its bound, the
instance is free for the next action, and the database agrees with virsh."""

import uuid

import libvirt
import pytest
from lxml import etree

from hosts.models import Host
from hosts.services import probe
from instances.models import Instance, InstanceState
from instances.services import request_operation
from jobs.models import Operation, OperationStatus
from tests.support.guest import NAME_PREFIX, tiny_guest_xml
from tests.support.libvirtd import PrivateLibvirtd
from tests.support.waiting import wait_for_operation, wait_until

pytestmark = pytest.mark.qemu


@pytest.fixture
def daemon(tmp_path):
    daemon = PrivateLibvirtd(tmp_path / "libvirtd", guests=True)
    daemon.start()
    yield daemon
    if daemon.answers():  # no QEMU left running once its daemon is gone
        conn = libvirt.open(daemon.uri)
        for domain in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE):
            domain.destroy()
        conn.close()
    daemon.stop()


def deaf_guest(conn, tmp_path) -> libvirt.virDomain:
    """The tiny guest without ACPI: a graceful shutdown waits for it until its timeout."""
    name = f"{NAME_PREFIX}{uuid.uuid4().hex[:8]}"
    xml = etree.fromstring(tiny_guest_xml(name, serial_log=tmp_path / "serial.log"))
    xml.find("features").remove(xml.find("features/acpi"))
    domain = conn.defineXML(etree.tostring(xml, encoding="unicode"))
    domain.create()
    return domain


def test_libvirtd_restarted_while_a_shutdown_waits_the_job_waits_for_it_and_ends(
    daemon, rq_worker, admin_user, transactional_db, tmp_path
):
    conn = libvirt.open(daemon.uri)
    domain = deaf_guest(conn, tmp_path)
    host = Host.objects.create(name="private", uri=daemon.uri)
    probe(host)
    instance = Instance.objects.create(host=host, uuid=domain.UUIDString(), name=domain.name(),
                                       state=InstanceState.RUNNING)  # fmt: skip
    op = request_operation(instance=instance, kind="instance.stop", user=admin_user, params={"timeout": 30})
    wait_until(lambda: "Power button pressed" in Operation.objects.get(pk=op.pk).message, timeout=60,
               what=lambda: Operation.objects.get(pk=op.pk).message)  # fmt: skip

    daemon.stop()  # QEMU keeps running without its daemon
    assert not daemon.answers()
    daemon.start()
    op = wait_for_operation(op.pk, timeout=120)
    assert (op.status, op.message) == (OperationStatus.SUCCEEDED, "Forced off after 30 s"), op.error
    conn = libvirt.open(daemon.uri)
    assert conn.lookupByName(instance.name).state()[0] == libvirt.VIR_DOMAIN_SHUTOFF
    assert Instance.objects.get(pk=instance.pk).state == InstanceState.SHUTOFF  # the database agrees with virsh
    again = request_operation(instance=instance, kind="instance.start", user=admin_user)  # not "Busy"
    assert wait_for_operation(again.pk, timeout=60).status == OperationStatus.SUCCEEDED
    assert conn.lookupByName(instance.name).state()[0] == libvirt.VIR_DOMAIN_RUNNING
