"""The migrate page (on libvirt's test driver, from the facts the monitor keeps): it offers only hosts
the user may run instances on, shows every failed check at once and then queues nothing, and queues
the migration with its tunables when the checks pass."""

import pytest
from django.urls import reverse

from accounts.models import Grant, Role
from hosts.models import Host
from instances.models import Instance, InstanceState
from jobs.models import Operation
from tests.conftest import CAST, _user_with
from tests.support.fact_hosts import X86
from tests.support.fact_hosts import fact_host as host

pytestmark = pytest.mark.django_db
TUNABLES = {"max_downtime_ms": 300, "bandwidth_mib": 0, "completion_timeout": 600, "auto_converge": "on"}


def page(client, instance, data=None):
    url = reverse("instance-migrate", args=[instance.pk])
    response = client.post(url, data) if data is not None else client.get(url)
    return response, response.content.decode().replace("&#x27;", "'")


def test_only_hosts_the_user_runs_instances_on_are_offered(client_for, hosts, instance):
    user = _user_with("host-operator", CAST["operator"])
    for name in ("alpha", "gamma"):
        Grant.objects.create(user=user, role=Role.OPERATOR, host=hosts[name])
    Grant.objects.create(user=user, role=Role.VIEWER, host=hosts["beta"])
    _response, text = page(client_for(user), instance)
    assert f'<option value="{hosts["gamma"].pk}"' in text
    assert f'<option value="{hosts["beta"].pk}"' not in text and f'<option value="{hosts["alpha"].pk}"' not in text
    response, text = page(client_for(user), instance, {"destination": hosts["beta"].pk, **TUNABLES})
    assert "Select a valid choice" in text and not Operation.objects.exists()


def test_every_failed_check_is_shown_and_nothing_is_queued(client_for, operator, hosts, instance, settings, rq_worker):
    settings.MEMORY_OVERCOMMIT_RATIO = 0.1  # 409 MiB of beta's 4096
    small = host("delta", networks=("other",), capabilities={"uuid": "", "guest_types": []})
    _response, text = page(client_for(operator), instance, {"destination": small.pk, **TUNABLES})
    assert "delta cannot run x86_64 guests of type qemu." in text
    assert "delta has not enough memory: the guest needs 512 MiB, 409 MiB are left there" in text
    assert "Network default does not exist or is not active on delta." in text
    down = host("epsilon", status="down")
    _response, text = page(client_for(operator), instance, {"destination": down.pk, **TUNABLES})
    assert "epsilon is down" in text
    twin = host("zeta", capabilities={"uuid": "same-machine", "guest_types": X86})
    Host.objects.filter(pk=instance.host_id).update(capabilities={"uuid": "same-machine", "guest_types": X86})
    _response, text = page(client_for(operator), instance, {"destination": twin.pk, **TUNABLES})
    assert "zeta is the same machine as alpha: choose another host." in text
    assert not Operation.objects.exists()


def test_a_passing_check_queues_the_migration_with_its_tunables(client_for, operator, hosts, instance, rq_worker):
    response, _text = page(client_for(operator), instance, {"destination": hosts["beta"].pk, **TUNABLES,
                                                            "bandwidth_mib": 50})  # fmt: skip
    op = Operation.objects.get()
    assert response.status_code == 302 and response.url == reverse("operation-detail", args=[op.pk])
    assert (op.kind, op.target_id) == ("instance.live_migrate", str(instance.pk))
    assert op.params == {"destination": hosts["beta"].pk, "max_downtime_ms": 300, "bandwidth_mib": 50,
                         "auto_converge": True, "post_copy": False, "completion_timeout": 600}  # fmt: skip


def test_a_shut_off_instance_has_no_migrate_link_and_is_refused(client_for, operator, hosts, instance):
    text = client_for(operator).get(reverse("instance-detail", args=[instance.pk])).content.decode()
    assert reverse("instance-migrate", args=[instance.pk]) in text
    Instance.objects.filter(pk=instance.pk).update(state=InstanceState.SHUTOFF)
    text = client_for(operator).get(reverse("instance-detail", args=[instance.pk])).content.decode()
    assert reverse("instance-migrate", args=[instance.pk]) not in text
    _response, text = page(client_for(operator), instance, {"destination": hosts["beta"].pk, **TUNABLES})
    assert "web-1 is shut off: only a running guest moves live." in text and not Operation.objects.exists()


def test_a_host_in_maintenance_is_shown_so_and_nothing_new_is_offered_there(client_for, operator, hosts, instance,
                                                                             rq_worker):  # fmt: skip
    client = client_for(operator)
    text = client.get(reverse("host-maintenance-start", args=[hosts["alpha"].pk])).content.decode()
    assert "its 1 running guest live-migrates" in " ".join(text.split())
    response = client.post(reverse("host-maintenance-start", args=[hosts["beta"].pk]))
    op = Operation.objects.get()
    assert (op.kind, op.target_id, response.url) == ("host.maintenance", str(hosts["beta"].pk),
                                                     reverse("operation-detail", args=[op.pk]))  # fmt: skip
    Host.objects.filter(pk=hosts["beta"].pk).update(maintenance=True)  # as the job does first
    assert "In maintenance" in client.get(reverse("host-detail", args=[hosts["beta"].pk])).content.decode()
    assert "In maintenance" in client.get(reverse("host-list")).content.decode()
    create = client.get(reverse("instance-create")).content.decode()
    assert f'<option value="{hosts["gamma"].pk}"' in create and f'<option value="{hosts["beta"].pk}"' not in create
    _response, text = page(client, instance, {"destination": hosts["beta"].pk, **TUNABLES})
    assert "beta is in maintenance: nothing new lands there until it ends." in text
    client.post(reverse("host-maintenance-end", args=[hosts["beta"].pk]))
    assert Operation.objects.filter(kind="host.end_maintenance", target_id=str(hosts["beta"].pk)).exists()
