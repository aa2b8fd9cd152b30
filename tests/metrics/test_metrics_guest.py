"""/metrics on the real TCG guest with the real monitor: the guest's CPU counter grows between two
scrapes while a busy loop, typed over its serial console, runs in it."""

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from tests.support.instances import in_guest
from tests.support.monitor import running_monitor
from tests.support.waiting import wait_until

pytestmark = pytest.mark.qemu


def cpu_seconds(client, instance) -> float | None:
    text = client.get(reverse("metrics")).content.decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "lvc_instance_cpu_seconds_total" and sample.labels["instance_uuid"] == str(instance.uuid):
                return sample.value
    return None


def test_a_busy_guests_cpu_counter_grows_between_two_scrapes(client, running, settings):
    instance, guest = running
    settings.METRICS_ENABLED, settings.METRICS_ALLOWED_ADDRESSES = True, ["127.0.0.1/32"]
    with running_monitor(refresh_interval=1):
        first = wait_until(lambda: cpu_seconds(client, instance), timeout=30, what="the guest's first CPU figure")
        in_guest(guest, "sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & true")
        wait_until(lambda: (cpu_seconds(client, instance) or 0) > first + 2, timeout=60,
                   what=lambda: f"its CPU time growing past {first} + 2 s")  # fmt: skip
