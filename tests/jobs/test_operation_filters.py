"""The Operations page filtered by user, host, instance and status, and the host every operation
records for that filter."""

import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Grant, Role
from hosts.models import Host
from instances.models import Instance
from jobs.models import Operation, OperationStatus
from jobs.services import start_operation

pytestmark = pytest.mark.django_db
LIST = reverse("operation-list")


@pytest.fixture
def hosts(db):
    return [
        Host.objects.create(name="alpha", uri="test:///default"),
        Host.objects.create(name="beta", uri="test:///default?beta"),
    ]


@pytest.fixture
def instance(hosts):
    return Instance.objects.create(host=hosts[1], uuid=uuid.uuid4(), name="web-1")


def record(target, *, user=None, status=OperationStatus.QUEUED, kind="host.check") -> Operation:
    host = target if isinstance(target, Host) else target.host
    return Operation.objects.create(kind=kind, target_type=target._meta.model_name, target_id=str(target.pk),
                                    target_name=str(target), user=user, host=host, status=status)  # fmt: skip


def shown(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-operation-id="(\d+)">', response.content.decode())]


# --- The host each operation records -----------------------------------------------------------


def test_an_operation_records_its_host_from_the_target_or_the_keyword(hosts, instance, admin_user, rq_worker):
    on_host = start_operation(kind="host.check", target=hosts[0], user=admin_user)
    on_instance = start_operation(kind="instance.start", target=instance, user=admin_user)
    explicit = start_operation(kind="host.save", target_type="host", target_name="new", host=hosts[0])
    nowhere = start_operation(kind="host.save", target_type="host", target_name="new")

    assert [op.host for op in (on_host, on_instance, explicit, nowhere)] == [hosts[0], hosts[1], hosts[0], None]
    assert Operation.objects.get(pk=on_instance.pk).host_id == hosts[1].pk
    assert on_instance.as_event()["host_id"] == hosts[1].pk
    assert on_instance.as_event()["target_type"] == "instance"


def test_removing_a_host_keeps_its_operations(hosts):
    op = record(hosts[0])
    hosts[0].delete()
    op.refresh_from_db()
    assert op.host is None and op.target_name == "alpha"


# --- The page ----------------------------------------------------------------------------------


def test_filters_by_user_host_instance_and_status(client_for, viewer, admin_user, operator, hosts, instance):
    a = record(hosts[0], user=admin_user)
    b = record(hosts[1], user=operator, status=OperationStatus.FAILED)
    c = record(instance, user=operator, kind="instance.start", status=OperationStatus.FAILED)
    d = record(instance, user=None, kind="instance.stop", status=OperationStatus.SUCCEEDED)
    client = client_for(viewer)

    assert shown(client.get(LIST)) == [d.pk, c.pk, b.pk, a.pk]
    assert shown(client.get(LIST, {"user": operator.pk})) == [c.pk, b.pk]
    assert shown(client.get(LIST, {"host": hosts[1].pk})) == [d.pk, c.pk, b.pk]
    assert shown(client.get(LIST, {"instance": instance.pk})) == [d.pk, c.pk]
    assert shown(client.get(LIST, {"status": "failed", "host": hosts[1].pk, "user": operator.pk})) == [c.pk, b.pk]
    assert shown(client.get(LIST, {"instance": instance.pk, "status": "succeeded"})) == [d.pk]
    # nonsense values are ignored
    assert len(shown(client.get(LIST, {"user": "x", "host": "1;drop", "status": "<b>", "instance": "-3"}))) == 4


def test_the_filter_selects_offer_users_with_operations_and_every_host(
    client_for, viewer, admin_user, operator, hosts, instance
):
    record(hosts[0], user=operator)
    for user in (viewer, admin_user):  # a fleet grant; a superuser
        body = client_for(user).get(LIST, {"host": hosts[1].pk}).content.decode()
        assert f'<option value="{operator.pk}">operator</option>' in body
        assert ">admin</option>" not in body  # no operations: not offered
        assert f'<option value="{hosts[1].pk}" selected>beta</option>' in body
        assert f'<option value="{hosts[0].pk}">alpha</option>' in body


def test_an_instance_filter_names_the_instance_and_scopes_live_rows(client_for, viewer, hosts, instance):
    record(instance, kind="instance.start")
    body = client_for(viewer).get(LIST, {"instance": instance.pk, "status": "queued"}).content.decode()
    assert f'Operations on <a href="{reverse("instance-detail", args=[instance.pk])}">web-1</a>' in body
    assert f'data-live-scope="status:queued instance:{instance.pk}"' in body
    assert f'<input type="hidden" name="instance" value="{instance.pk}">' in body
    assert "Operations on instance #999" in client_for(viewer).get(LIST, {"instance": 999}).content.decode()


def test_the_instance_filter_names_only_instances_the_user_sees(
    client_for, ungranted_operator, admin_user, operator, hosts, instance
):
    mine = Instance.objects.create(host=hosts[0], uuid=uuid.uuid4(), name="mine-1")
    Grant.objects.create(user=ungranted_operator, role=Role.OPERATOR, instance=mine)
    secret_op = record(instance, kind="instance.start", user=admin_user)
    record(mine, kind="instance.start", user=operator)
    client = client_for(ungranted_operator)

    hidden = client.get(LIST, {"instance": instance.pk}).content.decode()
    assert "web-1" not in hidden and "beta" not in hidden
    assert f'<option value="{operator.pk}">operator</option>' in hidden and ">admin</option>" not in hidden
    assert f"Operations on instance #{instance.pk}" in hidden and secret_op.pk not in shown(client.get(LIST))
    own = client.get(LIST, {"instance": mine.pk}).content.decode()
    assert f'Operations on <a href="{reverse("instance-detail", args=[mine.pk])}">mine-1</a>' in own


def test_pages_keep_the_filters(client_for, viewer, hosts):
    for _ in range(60):
        record(hosts[0], status=OperationStatus.FAILED)
    record(hosts[1], status=OperationStatus.FAILED)
    client = client_for(viewer)
    first = client.get(LIST, {"host": hosts[0].pk, "status": "failed"})
    assert len(shown(first)) == 50
    assert f'href="?host={hosts[0].pk}&amp;status=failed&amp;page=2"' in first.content.decode()
    assert len(shown(client.get(LIST, {"host": hosts[0].pk, "status": "failed", "page": 2}))) == 10


def test_the_page_uses_the_same_few_queries_for_few_and_many_operations(
    client_for, viewer, hosts, instance, django_user_model, django_assert_max_num_queries
):
    client = client_for(viewer)
    users = [django_user_model.objects.create_user(f"user-{index}") for index in range(6)]

    def finished_on_instance(index: int) -> OperationStatus:  # one active operation per instance at most
        return OperationStatus.SUCCEEDED if index % 2 else OperationStatus.QUEUED

    for index in range(3):
        record(instance if index % 2 else hosts[0], user=users[index], status=finished_on_instance(index))

    def count(params):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST, params).status_code == 200
        return len(queries)

    params = [{}, {"instance": instance.pk, "user": users[1].pk}, {"host": hosts[1].pk, "status": "queued"}]
    few = [count(p) for p in params]
    for index in range(120):
        record(instance if index % 2 else hosts[index % 2], user=users[index % 6], status=finished_on_instance(index))
    assert [count(p) for p in params] == few
    with django_assert_max_num_queries(10):
        client.get(LIST, {"instance": instance.pk})


def test_the_page_is_for_those_who_may_view_operations(client, client_for, outsider):
    assert client.get(LIST)["Location"].startswith(reverse("login"))
    assert client_for(outsider).get(LIST, {"host": 1}).status_code == 403
