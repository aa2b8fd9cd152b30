"""The host page shows what the real host reported: CPUs, NUMA cells, memory, pools, uptime."""

import libvirt
import pytest
from django.urls import reverse

from hosts.models import Host
from hosts.services import probe

pytestmark = pytest.mark.django_db


def test_detail_of_the_real_host_shows_its_facts(client_for, viewer, qemu_conn):
    host = Host.objects.create(name="this machine", uri="qemu:///system")
    probe(host)

    body = client_for(viewer).get(reverse("host-detail", args=[host.pk])).content.decode()

    cpus = qemu_conn.getInfo()[2]
    assert f"of {cpus} (" in body  # vCPUs used of total
    assert "hvm/x86_64 (" in body and "qemu" in body
    assert ", ".join(str(cpu) for cpu in range(cpus)) in body  # the NUMA cell's CPUs
    assert "Local socket" in body
    assert "Uptime</dt><dd>—" not in body  # local host: uptime is known
    for page in ["storage-pools", "network-list", "nwfilter-list"]:
        assert f'href="{reverse(page, args=[host.pk])}"' in body


def test_detail_of_a_host_never_reached_says_so(client_for, viewer):
    host = Host.objects.create(name="new", uri="qemu+ssh://root@example.invalid/system")
    body = client_for(viewer).get(reverse("host-detail", args=[host.pk])).content.decode()
    assert "Not read yet" in body and "SSH" in body


def test_host_list_counts_instances_by_state_in_constant_queries(client_for, viewer, django_assert_max_num_queries):
    for index in range(20):
        host = Host.objects.create(name=f"h{index}", uri=f"test:///default?{index}")
        host.instances.create(uuid=f"00000000-0000-0000-0000-{index:012d}", name=f"vm{index}", state="running")
    client = client_for(viewer)
    with django_assert_max_num_queries(6):
        body = client.get(reverse("host-list")).content.decode()
    assert body.count("1 running, 0 off") == 20


def test_pools_of_the_test_driver_are_listed(client_for, viewer):
    host = Host.objects.create(name="t", uri="test:///default")
    probe(host)
    body = client_for(viewer).get(reverse("host-detail", args=[host.pk])).content.decode()
    assert "default-pool" in body


def test_libvirt_is_never_called_by_the_detail_page(client_for, viewer, monkeypatch):
    host = Host.objects.create(name="t", uri="test:///default")
    monkeypatch.setattr(libvirt, "openAuth", lambda *a: pytest.fail("a page opened a libvirt connection"))
    monkeypatch.setattr(libvirt, "open", lambda *a: pytest.fail("a page opened a libvirt connection"))
    assert client_for(viewer).get(reverse("host-detail", args=[host.pk])).status_code == 200
