"""Chart history from the real monitor on the real TCG guest: a busy loop typed over its serial
console shows in its CPU chart data near 100 % of its vCPU within three samples, and the fall once
it is stopped within three more; the host's chart counts its guests."""

import time

import pytest
from django.urls import reverse

from stats.history import stats_dir
from tests.support.instances import in_guest
from tests.support.monitor import running_monitor
from tests.support.waiting import wait_until

pytestmark = pytest.mark.qemu


def latest(values: list) -> float | None:
    known = [value for value in values if value is not None]
    return known[-1] if known else None


def cpu_of(client, instance) -> float | None:
    return latest(cpu_samples(client, instance, since=0))


def cpu_samples(client, instance, *, since: float) -> list:
    """The CPU chart's samples taken in the second of `since` or later, oldest first."""
    data = client.get(reverse("instance-charts", args=[instance.pk]), {"range": "1h"}).json()["instance"]
    return [value for at, value in zip(data["times"], data["average"][0], strict=True) if at >= int(since)]


def test_a_busy_loop_rises_in_the_cpu_chart_and_falls_when_stopped(client_for, admin_user, running, settings):
    instance, guest = running
    settings.STATS_INTERVAL = 1
    client = client_for(admin_user)
    with running_monitor(refresh_interval=1):
        wait_until(lambda: cpu_of(client, instance) is not None, timeout=30, what="a first CPU sample")
        in_guest(guest, "sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & echo $! > /tmp/busy")
        started = time.time()  # the loop runs (the shell has answered)
        wait_until(lambda: (cpu_of(client, instance) or 0) > 80, timeout=60,
                   what=lambda: f"the CPU chart near 100 % (last {cpu_of(client, instance)})")  # fmt: skip
        rising = cpu_samples(client, instance, since=started)
        assert any((value or 0) > 80 for value in rising[:3]), f"not near 100 % within three samples: {rising}"
        host = client.get(reverse("host-charts", args=[instance.host_id]), {"range": "1h"}).json()["host"]
        assert (latest(host["average"][2]) or 0) > 0  # its guests' CPU
        assert latest(host["average"][1]) > 0  # its memory in use
        in_guest(guest, "kill $(cat /tmp/busy)")
        stopped = time.time()
        wait_until(lambda: (cpu_of(client, instance) or 100) < 30, timeout=60,
                   what=lambda: f"the CPU chart falling (last {cpu_of(client, instance)})")  # fmt: skip
        falling = cpu_samples(client, instance, since=stopped)
        assert any(value is not None and value < 30 for value in falling[:3]), (
            f"still busy after three samples: {falling}"
        )
        data = client.get(reverse("instance-charts", args=[instance.pk]), {"range": "24h"}).json()
        assert latest(data["instance"]["maximum"][0]) > 80 and "vda" in data["disks"]
    assert client.get(reverse("instance-charts", args=[instance.pk]), {"range": "1y"}).status_code == 400
    stems = {path.stem for path in stats_dir().rglob(f"instance-{instance.uuid}*")}
    assert {f"instance-{instance.uuid}", f"instance-{instance.uuid}-disk-vda"} <= stems
