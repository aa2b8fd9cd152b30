"""Clone on the real job between the two namespaced lab hosts, with the tiny TCG guest: the clone
boots from a copy of the disk (on the other host's own storage) beside the original, with its own
name, UUID and MAC; a clone that cannot be made leaves nothing."""

import libvirt
from lxml import etree

from instances.models import Instance
from instances.services import request_operation
from tests.support.guest import MARKER, NAME_PREFIX
from tests.support.instances import in_guest, succeeded
from tests.support.lab_hosts import lab_guest, lookup, volumes_of
from tests.support.waiting import wait_for_operation

NETWORK = "<network><name>lvc-lab-net</name><bridge name='lvclabnet0'/></network>"


def run(instance, kind: str, user, **params):
    op = request_operation(instance=instance, kind=kind, user=user, params=params)
    return wait_for_operation(op.pk, timeout=300)


def macs(conn, instance) -> list[str]:
    root = etree.fromstring(lookup(conn, instance).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    return root.xpath("devices/interface/mac/@address")


def test_a_shut_off_guest_cloned_onto_the_other_host_and_both_boot(lab_hosts, lab_conns, spawn_on, admin_user):
    source, dest = lab_hosts
    networks = [conn.networkCreateXML(NETWORK) for conn in lab_conns.values()]
    name, made = f"{NAME_PREFIX}clone", None
    try:
        instance = spawn_on(source, networks=("lvc-lab-net",))
        in_guest(lab_guest(lab_conns[source.name], instance), "echo MARK-2600 > /dev/vda; sync")
        succeeded(run(instance, "instance.stop", admin_user))

        op = succeeded(run(instance, "instance.clone", admin_user, name=name, destination=dest.pk))
        made = Instance.objects.get(host=dest, name=name)
        assert op.message == f"Cloned into {name} on {dest.name} (shut off)" and made.state == "shutoff"
        assert made.uuid != instance.uuid and (made.flavor_id, made.image_id) == (instance.flavor_id, instance.image_id)
        assert macs(lab_conns[dest.name], made)[0] != macs(lab_conns[source.name], instance)[0]
        assert lookup(lab_conns[dest.name], instance) is None  # the original stays where it was

        for row, conn in ((instance, lab_conns[source.name]), (made, lab_conns[dest.name])):
            succeeded(run(row, "instance.start", admin_user))
            lab_guest(conn, row).wait_for_serial(MARKER, timeout=120)
        there = lab_guest(lab_conns[dest.name], made)
        assert "MARK-2600" in in_guest(there, "head -c 9 /dev/vda")  # its own copy of the disk
        in_guest(there, "echo MARK-CLONE > /dev/vda; sync")
        assert "MARK-2600" in in_guest(lab_guest(lab_conns[source.name], instance), "head -c 9 /dev/vda")
    finally:
        for network in networks:
            network.destroy()
        if made is not None:  # the clone's domain goes with lab_conns; its volumes here
            domain = lookup(lab_conns[dest.name], made)
            if domain is not None and domain.isActive():
                domain.destroy()
            for volume in volumes_of(lab_conns[dest.name], made.uuid):
                volume.delete(0)


def test_a_clone_with_a_taken_name_is_refused_and_leaves_nothing(lab_hosts, lab_conns, spawn_on, admin_user):
    source, _dest = lab_hosts
    instance = spawn_on(source)
    succeeded(run(instance, "instance.stop", admin_user))
    op = run(instance, "instance.clone", admin_user, name=instance.name, destination=source.pk)
    assert op.status == "failed" and f"An instance named {instance.name} already exists on {source.name}." in op.error
    assert Instance.objects.filter(host=source).count() == 1
    assert len(lab_conns[source.name].listAllDomains(0)) == 1
