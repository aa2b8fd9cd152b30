"""The fleet dashboard from the real sampler fed made-up readings of two hosts: its figures are the
instances' own (their chart data), hand-checked; a user sees only what their grants show; a guest
that stopped leaves the busiest list."""

import re
import uuid
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from accounts.models import Grant, Role
from hosts.models import Host, HostStatus
from instances.models import Instance
from jobs.models import Operation, OperationStatus
from stats.sampling import Sampler
from tests.conftest import CAST, _user_with
from virt.domains import DomainRecord

pytestmark = pytest.mark.django_db
AT = 1_800_000_000.0
MEMORY = {"memory_total_mib": 4096, "memory_used_mib": 1024, "vcpus_total": 4}


@pytest.fixture(autouse=True)
def stats_settings(settings, tmp_path, redis_conn):
    settings.STATS_DIR, settings.STATS_INTERVAL = tmp_path / "stats", 10
    return settings


def facts(idle_ns: int, busy_ns: int):
    return SimpleNamespace(resources={**MEMORY, "cpu_time_ns": {"idle": idle_ns, "user": busy_ns}})


def record(instance: Instance, cpu_ns: int, state: str = "running") -> DomainRecord:
    devices = {"cpu_time_ns": cpu_ns, "rss_kib": 1024, "disks": [], "nics": []}
    return DomainRecord(uuid=str(instance.uuid), name=instance.name, state=state, autostart=False, persistent=True,
                        vcpus=1, devices=devices)  # fmt: skip


@pytest.fixture
def fleet(monkeypatch):
    """Host a with guests at 90 % and 30 % of their vCPU, host b with one at 60 %; sampled twice, 10 s apart."""
    monkeypatch.setattr("stats.latest.time.time", lambda: AT + 10)
    a, b = (Host.objects.create(name=name, uri=f"test:///default?{name}", status=HostStatus.UP, resources=MEMORY)
            for name in ("a", "b"))  # fmt: skip
    guests = {name: Instance.objects.create(host=host, uuid=uuid.uuid4(), name=name, vcpus=1)
              for name, host in (("busy", a), ("calm", a), ("other", b))}  # fmt: skip
    sampler = Sampler()
    for at, scale in ((AT, 0), (AT + 10, 1)):
        on_a = [record(guests["busy"], scale * 9 * 10**9), record(guests["calm"], scale * 3 * 10**9)]
        sampler.sample(a, facts((1 + scale) * 10**10, scale * 5 * 10**9), on_a, at=at)
        sampler.sample(b, facts((1 + scale) * 10**10, 0), [record(guests["other"], scale * 6 * 10**9)], at=at)
    return sampler, a, b, guests


def rows(client, marker: str) -> list[list[str]]:
    html = client.get(reverse("home")).content.decode()
    table = html.split(f"data-{marker}>", 1)[1].split("</tbody>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in row.split("</td>")[:-1]]
        for row in re.split(r"<tr[^>]*>", table)[2:]
    ]


def test_the_busiest_instances_and_host_pressure_agree_with_their_own_charts(
    fleet, client_for, admin_user, monkeypatch
):
    _sampler, a, _b, guests = fleet
    client = client_for(admin_user)
    assert rows(client, "busiest") == [["busy", "a", "90.0 %", "1.0 MiB"], ["other", "b", "60.0 %", "1.0 MiB"],
                                       ["calm", "a", "30.0 %", "1.0 MiB"]]  # fmt: skip
    monkeypatch.setattr("stats.views.time.time", lambda: AT + 10)
    chart = client.get(reverse("instance-charts", args=[guests["busy"].pk])).json()["instance"]
    assert chart["average"] == [[90.0], [1048576.0]]
    # host a: 5 s busy of 15 s CPU time -> 33.3 %; memory 1024 of 4096 MiB
    assert rows(client, "pressure") == [["a", "33.3 %", "25.0 %"], ["b", "0.0 %", "25.0 %"]]
    host_chart = client.get(reverse("host-charts", args=[a.pk])).json()["host"]
    assert host_chart["average"][0] == [pytest.approx(100 / 3)] and host_chart["average"][2] == [30.0]  # (0.9+0.3)/4


def test_a_user_sees_only_what_their_grants_show(fleet, client_for):
    _sampler, a, _b, _guests = fleet
    viewer = _user_with("viewer-a", CAST["viewer"])
    Grant.objects.create(user=viewer, role=Role.VIEWER, host=a)
    client = client_for(viewer)
    assert [row[0] for row in rows(client, "busiest")] == ["busy", "calm"]
    assert [row[0] for row in rows(client, "pressure")] == ["a"]
    outsider = client_for(User.objects.create_user("nobody", password="x"))
    assert "data-busiest" not in outsider.get(reverse("home")).content.decode()


def test_a_stopped_guest_leaves_the_list_and_failures_and_down_hosts_show(fleet, client_for, admin_user, monkeypatch):
    sampler, a, b, guests = fleet
    monkeypatch.setattr("stats.latest.time.time", lambda: AT + 20)
    on_a = [record(guests["calm"], 6 * 10**9), record(guests["busy"], 9 * 10**9, state="shutoff")]
    sampler.sample(a, facts(3 * 10**10, 10**10), on_a, at=AT + 20)
    client = client_for(admin_user)
    assert [row[0] for row in rows(client, "busiest")] == ["other", "calm"]  # busy stopped
    monkeypatch.setattr("stats.latest.time.time", lambda: AT + 51)  # 3 samples missed: the figures are too old
    assert rows(client, "busiest") == [["No running instance sampled yet."]]
    Host.objects.filter(pk=b.pk).update(status=HostStatus.DOWN, last_error="no route to host")
    Operation.objects.create(kind="instance.start", target_type="instance", target_id=str(guests["calm"].pk),
                             target_name="calm", host=a, status=OperationStatus.FAILED, error="QEMU said no",
                             finished=timezone.now())  # fmt: skip
    html = client.get(reverse("home")).content.decode()
    assert "Hosts down" in html and "no route to host" in html and "QEMU said no" in html
