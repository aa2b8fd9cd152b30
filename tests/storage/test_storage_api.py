"""Storage through the API on the real libvirtd: a pool defined, a volume made, grown and deleted
with the pages' forms, checked with virsh. (A volume a guest still needs: tests/storage/test_storage_in_use.py.)"""

import pytest
from django.urls import reverse

from api.models import ApiToken
from jobs.models import Operation
from tests.storage.conftest import unique
from tests.storage.test_storage_operations import virsh
from tests.support.api import call, ran

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_pool_and_a_volume_live_their_life_through_the_api(client, operator, qemu_host, qemu_conn, pool_names,
                                                             pool_dir, rq_worker):  # fmt: skip
    _token, secret = ApiToken.issue(user=operator, name="ansible")
    action = lambda name: reverse("api-host-action", args=[qemu_host.pk, name])  # noqa: E731
    pool, volume = pool_names(), unique(".qcow2")
    ran(client, action("pool-define"), secret, {"params": {"name": pool, "path": str(pool_dir / pool)}})
    assert [pool, "active", "yes"] in [line.split() for line in virsh("pool-list", "--all").splitlines()]

    ran(client, action("volume-create"), secret, {"pool": pool, "params": {"name": volume, "size": 8, "unit": "MiB"}})
    assert qemu_conn.storageVolLookupByPath(str(pool_dir / pool / volume)).info()[1] == 8 * 1024**2
    listed = call(client, "get", reverse("api-host-storage", args=[qemu_host.pk]), secret).json()["pools"]
    assert volume in [vol["name"] for found in listed if found["name"] == pool for vol in found["volumes"]]

    smaller = call(client, "post", action("volume-resize"), secret,
                   {"pool": pool, "volume": volume, "params": {"size": 4, "unit": "MiB"}})  # fmt: skip
    assert smaller.status_code == 400 and "can only grow" in smaller.json()["error"]["message"]
    grow = {"pool": pool, "volume": volume, "params": {"size": 16, "unit": "MiB"}}
    ran(client, action("volume-resize"), secret, grow)
    assert qemu_conn.storageVolLookupByPath(str(pool_dir / pool / volume)).info()[1] == 16 * 1024**2

    unnamed = call(client, "post", action("volume-delete"), secret, {"pool": pool})
    assert unnamed.status_code == 400 and unnamed.json()["error"]["fields"] == {
        "volume": ["Say which volume volume-delete concerns."]}  # fmt: skip
    ran(client, action("volume-delete"), secret, {"pool": pool, "volume": volume})
    assert volume not in virsh("vol-list", pool)
    ran(client, action("pool-delete"), secret, {"pool": pool, "params": {"delete_dir": True}})
    assert pool not in virsh("pool-list", "--all") and not (pool_dir / pool).exists()
    assert Operation.objects.filter(status="succeeded").count() == 5
