"""Checking a host's connection: a view starts an operation, a real rq worker runs it."""

import pytest
from django.urls import reverse

from hosts.models import Host, HostStatus
from jobs.models import Operation, OperationStatus
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.django_db(transaction=True)


def test_check_runs_on_the_worker_and_records_the_result(client_for, operator, test_host, rq_worker):
    response = client_for(operator).post(reverse("host-check", args=[test_host.pk]), follow=True)

    assert response.status_code == 200
    op = Operation.objects.get()
    assert f"operation #{op.pk}" in response.content.decode()
    op = wait_for_operation(op.pk)
    assert op.status == OperationStatus.SUCCEEDED, op.error
    assert (op.kind, op.user, op.progress) == ("host.check", operator, 100)
    assert op.result["hypervisor"] == "TEST"
    host = Host.objects.get(pk=test_host.pk)
    assert host.status == HostStatus.UP
    assert host.hypervisor.startswith("TEST ")
    assert host.last_seen is not None


def test_check_of_a_dead_host_fails_with_a_clear_message(client_for, operator, dead_host, rq_worker):
    client_for(operator).post(reverse("host-check", args=[dead_host.pk]))

    op = wait_for_operation(Operation.objects.get().pk)
    assert op.status == OperationStatus.FAILED
    assert "Host unreachable" in op.error and "Connection refused" in op.error
    host = Host.objects.get(pk=dead_host.pk)
    assert host.status == HostStatus.DOWN
    assert "Connection refused" in host.last_error


def test_check_is_refused_when_no_worker_runs(client_for, operator, test_host):
    response = client_for(operator).post(reverse("host-check", args=[test_host.pk]), follow=True)

    assert "No job worker is running" in response.content.decode()
    assert not Operation.objects.exists()


def test_check_needs_post(client_for, operator, test_host):
    response = client_for(operator).get(reverse("host-check", args=[test_host.pk]))
    assert response.status_code == 405
    assert not Operation.objects.exists()


def test_check_needs_the_change_permission(client_for, viewer, test_host, rq_worker):
    response = client_for(viewer).post(reverse("host-check", args=[test_host.pk]))
    assert response.status_code == 403
    assert not Operation.objects.exists()


def test_check_of_a_missing_host_is_404(client_for, operator, rq_worker):
    response = client_for(operator).post(reverse("host-check", args=[4242]))
    assert response.status_code == 404


def test_check_needs_login(client, test_host):
    response = client.post(reverse("host-check", args=[test_host.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_check_needs_the_csrf_token(operator, test_host, rq_worker):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(operator)
    response = strict.post(reverse("host-check", args=[test_host.pk]))
    assert response.status_code == 403
    assert not Operation.objects.exists()
