"""Chart data: everything one page draws (an instance with its disks and NICs, or a host) for one
range, in one request, read from the history files — no libvirt call."""

import time

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from hosts.access import get_host_for_user
from instances.access import get_instance_for_user
from stats.history import RANGES, History, path_for
from stats.rates import DISK_SERIES, HOST_SERIES, INSTANCE_SERIES, NIC_SERIES
from stats.sampling import device_key


def chart_range(request) -> str | None:
    wanted = request.GET.get("range", "1h")
    return wanted if wanted in RANGES else None


def _refused_range() -> JsonResponse:
    return JsonResponse({"error": f"range must be one of {', '.join(RANGES)}."}, status=400)


def charted_devices(instance, kind: str) -> list[str]:
    """The instance's disks or NICs (kind: disk, nic) as its definition names them, that have a history."""
    rows = (instance.details or {}).get("disks" if kind == "disk" else "interfaces", [])
    names = [device_key(row["target"]) for row in rows if row.get("target")]
    return [name for name in names if path_for(f"instance-{instance.uuid}-{kind}-{name}").exists()]


def instance_charts_data(instance, wanted: str, now: float) -> dict:
    key = f"instance-{instance.uuid}"
    return {
        "range": wanted,
        "now": now,
        "series": {"instance": INSTANCE_SERIES, "disk": DISK_SERIES, "nic": NIC_SERIES},
        "instance": History(key, len(INSTANCE_SERIES)).read(wanted, now),
        "disks": {name: History(f"{key}-disk-{name}", len(DISK_SERIES)).read(wanted, now)
                  for name in charted_devices(instance, "disk")},
        "nics": {name: History(f"{key}-nic-{name}", len(NIC_SERIES)).read(wanted, now)
                 for name in charted_devices(instance, "nic")},
    }  # fmt: skip


def host_charts_data(host, wanted: str, now: float) -> dict:
    return {"range": wanted, "now": now, "series": {"host": HOST_SERIES},
            "host": History(f"host-{host.pk}", len(HOST_SERIES)).read(wanted, now)}  # fmt: skip


def _answer(request, charts_data, target) -> JsonResponse:
    wanted = chart_range(request)
    return JsonResponse(charts_data(target, wanted, time.time())) if wanted else _refused_range()


@require_GET
@login_required
def instance_charts(request, pk: int):
    return _answer(request, instance_charts_data, get_instance_for_user(request, pk, "view"))


@require_GET
@login_required
def host_charts(request, pk: int):
    return _answer(request, host_charts_data, get_host_for_user(request, pk, "view"))
