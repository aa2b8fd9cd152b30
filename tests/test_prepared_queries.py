"""Querysets compiled once (config/prepared.py): the rows of the plain queryset, one query, no
compiling after the first call; values the SQL does not carry as they are run the plain queryset.
And the session and user every request loads with them (accounts/loading.py)."""

import datetime
import uuid
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.db.models.sql.compiler import SQLCompiler
from django.urls import reverse
from django.utils import timezone

from config.prepared import Prepared
from hosts.models import Host
from instances.models import Instance

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet():
    hosts = [Host.objects.create(name=f"h{n}", uri=f"test:///prepared-{n}") for n in range(3)]
    for n in range(9):
        Instance.objects.create(host=hosts[n % 3], uuid=uuid.uuid4(), name=f"vm-{n} <'\">")
    return hosts


def by_host_and_name(host_id, name):
    return Instance.objects.select_related("host").filter(host_id=host_id, name=name)


def test_the_rows_are_the_plain_querysets_in_one_query_compiled_once(fleet, django_assert_num_queries):
    prepared = Prepared(by_host_and_name)
    for host in fleet:
        for instance in Instance.objects.filter(host=host):
            with django_assert_num_queries(1):
                found = prepared(host.pk, instance.name)
                assert found[0].host.name == host.name  # select_related: no second query
            assert found == list(by_host_and_name(host.pk, instance.name)) == [instance]
    assert prepared(fleet[0].pk, "vm-1 <'\">") == []  # on another host
    assert prepared(fleet[0].pk, "' OR 1=1 --") == []  # a parameter, never SQL
    with mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("compiled again")):
        assert prepared(fleet[1].pk, "vm-1 <'\">")[0].host == fleet[1]


def test_values_and_values_list_come_back_as_django_gives_them(fleet):
    names = Prepared(lambda host_id: Instance.objects.filter(host_id=host_id).values_list("name", flat=True))
    rows = Prepared(lambda host_id: Instance.objects.filter(host_id=host_id).values("pk", "name"))
    for host in fleet:
        assert names(host.pk) == list(Instance.objects.filter(host=host).values_list("name", flat=True))
        assert rows(host.pk) == list(Instance.objects.filter(host=host).values("pk", "name"))


@pytest.mark.parametrize(
    ("build", "values"),
    [
        (lambda n: Instance.objects.order_by("name")[n : n + 2], (3,)),  # a slice is written into the SQL
        (lambda text: Instance.objects.filter(name__icontains=text), ("VM-2",)),  # the SQL carries %text%
        (lambda names: Instance.objects.filter(name__in=names), (["vm-1 <'\">", "vm-4 <'\">"],)),  # not an int/str
        (lambda flag: Instance.objects.filter(autostart=flag), (False,)),  # a bool, not an int
        (lambda name: Instance.objects.filter(pk__in=[], name=name), ("vm-1",)),  # no SQL at all (nothing matches)
        (lambda pk: Instance.objects.filter(pk=pk), ("2",)),  # a number as text: the field converts it
    ],
)
def test_what_cannot_be_compiled_once_runs_as_the_plain_queryset(fleet, build, values):
    prepared = Prepared(build)
    assert prepared(*values) == list(build(*values))
    assert set(prepared.shapes.values()) == {None}


def test_an_expired_session_is_not_loaded(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("instance-list")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(reverse("instance-list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_deactivated_user_is_logged_out(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("instance-list")).status_code == 200
    admin_user.is_active = False
    admin_user.save()
    response = client.get(reverse("instance-list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_id_past_what_a_database_holds_is_not_found(client, admin_user, fleet):
    by_pk = Prepared(lambda pk: Instance.objects.filter(pk=pk))
    assert by_pk(10**20) == by_pk(-(10**20)) == list(Instance.objects.filter(pk=10**20)) == []  # as the ORM: no rows
    assert by_pk(fleet[0].instances.first().pk) == [fleet[0].instances.first()]
    client.force_login(admin_user)
    assert client.get(reverse("instance-detail", args=[10**20])).status_code == 404
    assert client.get(reverse("instance-charts", args=[89381028387191095296])).status_code == 404
