"""Nothing lost in storage: a volume a domain needs (directly, or as the backing file of what it
uses), or a pool holding one, is not deleted, by the pages or by the job. Domains are defined on
the real libvirtd, never started."""

import re

import pytest
from django.urls import reverse

from api.models import ApiToken
from hosts.services import probe
from instances.inventory import apply_domain
from instances.models import Instance
from jobs.models import Operation, OperationStatus
from jobs.services import start_operation
from tests.storage.test_storage_operations import succeeded
from tests.support.api import call
from tests.support.waiting import wait_for_operation
from virt import images, storage
from virt.domains import read_domain, read_domain_details

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chain(qemu_conn, qemu_host, real_volume):
    """(pool, base, overlay path): overlay.qcow2 stands on the real raw volume (a cached base)."""
    pool, base = real_volume
    base_path = storage.volume_file(qemu_conn, pool, base)[0]
    overlay = images.create_overlay(qemu_conn, pool, "overlay.qcow2", backing=base_path, backing_format="raw",
                                    capacity=1024**2)  # fmt: skip
    probe(qemu_host)
    return pool, base, overlay


def adopt(conn, host, name: str) -> Instance:
    """The domain as the monitor records it, then the host's inventory read again."""
    uuid = conn.lookupByName(name).UUIDString()
    apply_domain(host, uuid, read_domain(conn, uuid), read_domain_details(conn, uuid))
    probe(host)
    return Instance.objects.get(host=host, uuid=uuid)


def url(name: str, host, pool: str, volume: str = "") -> str:
    return reverse(name, kwargs={"host_pk": host.pk, "pool": pool, **({"volume": volume} if volume else {})})


def volume_exists(conn, pool: str, name: str) -> bool:
    return name in conn.storagePoolLookupByName(pool).listVolumes()


def test_used_by_shows_the_backing_chain_and_the_pages_refuse_deleting_changing_nothing(
    client_for, operator, qemu_conn, qemu_host, chain, domain_using, rq_worker
):
    pool, base, overlay = chain
    instance = adopt(qemu_conn, qemu_host, domain_using(overlay))
    client = client_for(operator)

    page = client.get(reverse("storage-pools", kwargs={"host_pk": qemu_host.pk})).content.decode()
    link = f'<a href="{reverse("instance-detail", args=[instance.pk])}">{instance.name}</a>'
    rows = dict(re.findall(r'<tr data-volume="([^"]+)">(.*?)</tr>', page, re.S))
    assert f"backing file of overlay.qcow2 used by {link}" in rows[base]
    assert f"{link} (vda)" in rows["overlay.qcow2"]

    expected = f"Volume {base} is in use by the backing file of volume overlay.qcow2 used by domain {instance.name}"
    confirm = client.get(url("storage-volume-delete", qemu_host, pool, base)).content.decode()
    assert expected in confirm and "Delete volume</button>" not in confirm
    refused = client.post(url("storage-volume-delete", qemu_host, pool, base), follow=True)
    assert refused.redirect_chain[-1][0] == reverse("storage-pools", kwargs={"host_pk": qemu_host.pk})
    assert expected in refused.content.decode()
    pool_refused = client.post(url("storage-pool-delete", qemu_host, pool), follow=True).content.decode()
    assert f"Pool {pool} holds volumes in use ({base} by the backing file of volume overlay.qcow2" in pool_refused
    assert Operation.objects.count() == 0 and volume_exists(qemu_conn, pool, base)


def test_the_api_refuses_deleting_a_needed_volume_as_the_page_does(client, operator, qemu_conn, qemu_host, chain,
                                                                   domain_using, rq_worker):  # fmt: skip
    pool, base, overlay = chain
    instance = adopt(qemu_conn, qemu_host, domain_using(overlay))
    _token, secret = ApiToken.issue(user=operator, name="cleanup")
    url = reverse("api-host-action", args=[qemu_host.pk, "volume-delete"])
    refused = call(client, "post", url, secret, {"pool": pool, "volume": base})
    expected = f"Volume {base} is in use by the backing file of volume overlay.qcow2 used by domain {instance.name}"
    assert refused.status_code == 409 and expected in refused.json()["error"]["message"]
    assert Operation.objects.count() == 0 and volume_exists(qemu_conn, pool, base)


def test_the_job_refuses_by_what_the_host_says_now_and_names_who_uses_it(
    client_for, operator, qemu_conn, qemu_host, chain, domain_using, rq_worker
):
    """The domain is defined after the console last read the host (a race), and the operations are
    started without the pages (an API call): the job reads the host itself and refuses."""
    pool, base, overlay = chain
    domain = domain_using(overlay)
    client = client_for(operator)
    assert (
        "Delete volume</button>"
        in client.get(url("storage-volume-delete", qemu_host, pool, "overlay.qcow2")).content.decode()
    )

    def run(kind: str, **params) -> Operation:
        return wait_for_operation(start_operation(kind=kind, target=qemu_host, user=operator, params=params).pk)

    direct = run("storage.volume_delete", pool=pool, volume="overlay.qcow2")
    backing = run("storage.volume_delete", pool=pool, volume=base)
    whole = run("storage.pool_delete", pool=pool, delete_dir=True)

    assert direct.status == backing.status == whole.status == OperationStatus.FAILED
    assert direct.error == f"Volume overlay.qcow2 is in use by domain {domain}: nothing was deleted."
    assert backing.error == (
        f"Volume {base} is in use by the backing file of volume overlay.qcow2 used by domain {domain}: "
        "nothing was deleted."
    )
    assert whole.error == (
        f"Pool {pool} holds volumes in use ({base} by the backing file of volume overlay.qcow2 used by domain "
        f"{domain}; overlay.qcow2 by domain {domain}): nothing was deleted."
    )
    assert volume_exists(qemu_conn, pool, base) and volume_exists(qemu_conn, pool, "overlay.qcow2")
    assert qemu_conn.storagePoolLookupByName(pool).isActive()


def test_an_unused_overlay_keeps_its_base_until_it_is_deleted_first(
    client_for, operator, qemu_conn, qemu_host, chain, rq_worker
):
    pool, base, _overlay = chain
    client = client_for(operator)

    kept = client.post(url("storage-volume-delete", qemu_host, pool, base), follow=True).content.decode()
    assert f"Volume {base} is in use by the backing file of volume overlay.qcow2: nothing was deleted." in kept
    assert Operation.objects.count() == 0

    succeeded(client.post(url("storage-volume-delete", qemu_host, pool, "overlay.qcow2")))
    succeeded(client.post(url("storage-volume-delete", qemu_host, pool, base)))
    assert qemu_conn.storagePoolLookupByName(pool).listVolumes() == []
