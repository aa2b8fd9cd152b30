"""/metrics on libvirt's test driver and the queue's real Redis: off by default; from an allowed
address the whole fleet, with a token what its user sees, else 401; what the monitor keeps (host
facts, each instance's counters in Redis) in Prometheus' text format, parsed by its own parser,
with a fixed number of queries whatever the number of instances."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import Grant, Role
from api.models import ApiToken
from hosts.models import Host, HostStatus
from instances import device_stats
from instances.models import Instance, InstanceState
from jobs.models import Operation, OperationStatus

pytestmark = pytest.mark.django_db
DISK = {"target": "vda", "read_bytes": 4096, "write_bytes": 512, "read_requests": 3, "write_requests": 1}
NIC = {"target": "vnet0", "rx_bytes": 100, "tx_bytes": 200, "rx_packets": 2, "tx_packets": 3}
FIGURES = {"cpu_time_ns": 2_500_000_000, "memory_kib": 131072, "rss_kib": 200000, "disks": [DISK], "nics": [NIC]}


@pytest.fixture
def fleet(db, redis_conn):
    up = Host.objects.create(name="alpha", uri="test:///default", status=HostStatus.UP, cpus=8, memory_mib=4096,
                             resources={"memory_total_mib": 4096, "memory_free_mib": 1024, "vcpus_total": 8,
                                        "cpu_time_ns": {"user": 3_000_000_000, "idle": 9_000_000_000}})  # fmt: skip
    down = Host.objects.create(name="beta", uri="test:///default?b", status=HostStatus.DOWN)
    web = Instance.objects.create(host=up, uuid="11111111-2222-3333-4444-555555555555", name="web-1",
                                  state=InstanceState.RUNNING, vcpus=2, memory_mib=128)  # fmt: skip
    Instance.objects.create(host=down, uuid="11111111-2222-3333-4444-666666666666", name="db-1",
                            state=InstanceState.SHUTOFF, vcpus=1, memory_mib=256)  # fmt: skip
    device_stats.store({str(web.uuid): FIGURES})
    Operation.objects.create(kind="instance.start", target_type="instance", target_id=str(web.pk), target_name="web-1",
                             status=OperationStatus.SUCCEEDED)  # fmt: skip
    return up, down


def samples(text: str) -> dict:
    """{(name, frozenset(labels)): value} of a scrape."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}  # fmt: skip


def web(**extra) -> frozenset:
    return frozenset({"host": "alpha", "instance": "web-1", "instance_uuid": "11111111-2222-3333-4444-555555555555",
                      **extra}.items())  # fmt: skip


def test_metrics_are_off_unless_enabled(client, fleet):
    assert client.get(reverse("metrics")).status_code == 404


def test_an_allowed_address_scrapes_the_whole_fleet_from_what_the_monitor_keeps(client, fleet, settings):
    settings.METRICS_ENABLED, settings.METRICS_ALLOWED_ADDRESSES = True, ["127.0.0.0/8"]
    response = client.get(reverse("metrics"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain; version=")
    found = samples(response.content.decode())
    assert found[("lvc_host_up", frozenset({("host", "alpha")}))] == 1
    assert found[("lvc_host_up", frozenset({("host", "beta")}))] == 0
    assert found[("lvc_host_cpu_seconds_total", frozenset({("host", "alpha"), ("mode", "idle")}))] == 9.0
    assert found[("lvc_instance_state", web(state="running"))] == 1
    assert found[("lvc_instance_cpu_seconds_total", web())] == 2.5
    assert found[("lvc_instance_memory_bytes", web())] == 128 * 1024 * 1024
    assert found[("lvc_instance_block_read_bytes_total", web(disk="vda"))] == 4096
    assert found[("lvc_instance_network_transmit_bytes_total", web(nic="vnet0"))] == 200
    assert found[("lvc_operations_total", frozenset({("kind", "instance.start"), ("status", "succeeded")}))] == 1
    assert ("lvc_workers_alive", frozenset()) in found and ("lvc_queue_length", frozenset()) in found


def test_a_token_scrapes_what_its_user_sees_and_nothing_else_gets_in(client, fleet, operator, settings):
    settings.METRICS_ENABLED = True
    assert client.get(reverse("metrics")).status_code == 401
    Grant.objects.filter(user=operator).delete()
    Grant.objects.create(user=operator, role=Role.VIEWER, host=fleet[0])
    _token, secret = ApiToken.issue(user=operator, name="prometheus", read_only=True)
    text = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {secret}").content.decode()
    assert 'host="alpha"' in text and 'host="beta"' not in text and "db-1" not in text
    bad = client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer lvc_0000000000000000_nope")
    assert bad.status_code == 401 and bad.content == b"This API token is not valid.\n"


def test_a_scrape_makes_the_same_queries_whatever_the_number_of_instances(client, fleet, settings):
    settings.METRICS_ENABLED, settings.METRICS_ALLOWED_ADDRESSES = True, ["127.0.0.1/32"]
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("metrics"))
    Instance.objects.bulk_create(Instance(host=fleet[0], uuid=f"11111111-2222-3333-4444-{n:012d}", name=f"vm-{n}",
                                          state=InstanceState.RUNNING) for n in range(200))  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        text = client.get(reverse("metrics")).content.decode()
    assert len(many.captured_queries) == len(few.captured_queries) and text.count("lvc_instance_state{") == 202
