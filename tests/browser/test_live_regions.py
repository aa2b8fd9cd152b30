"""Pages re-fetch what they show only when a change concerns it: the instance list filtered to
one host ignores changes on the others."""

import uuid

import pytest
from playwright.sync_api import expect

from hosts.models import Host
from instances.models import Instance, InstanceState
from live.broadcast import broadcast
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_list_of_one_host_refetches_only_for_that_host(page, admin_user):
    mine, other = (Host.objects.create(name=name, uri=f"test:///{name}") for name in ("mine", "other"))
    Instance.objects.create(host=mine, uuid=uuid.uuid4(), name="web-1", state=InstanceState.RUNNING)
    log_in(page, "admin", PASSWORD)
    page.goto(f"/instances/?host={mine.pk}")
    expect(page.locator("#live-status")).to_have_text("live")
    refetches = []
    page.on("request", lambda request: refetches.append(request.url) if request.headers.get("x-live-refresh") else None)

    broadcast("instances", {"id": "all", "host_id": other.pk})  # first: a fetch for it would come first
    Instance.objects.create(host=mine, uuid=uuid.uuid4(), name="web-2", state=InstanceState.RUNNING)
    broadcast("instances", {"id": "all", "host_id": mine.pk})

    expect(page.locator("#instance-table")).to_contain_text("web-2")
    wait_until(lambda: refetches, timeout=5, what="the refetch")
    assert len(refetches) == 1, refetches
