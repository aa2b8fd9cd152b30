"""What each instance's disks hold and have done (sizes, I/O counters), as last read from its
host: kept in Redis, not the database, because it changes all the time. The monitor stores it
on every reconcile for all domains at once; a disk operation stores it for its instance."""

import json
import time
from datetime import UTC, datetime

import django_rq
from django.conf import settings

KEY = "lvc:disk-stats:{}"


def _ttl() -> int:
    return int(max(60, 6 * settings.MONITOR_INTERVAL))  # figures older than a few reconciles are dropped


def store(found: dict[str, tuple]) -> None:
    """Keep {uuid: disks} (virt.domains.disk_stats rows), stamped with the time of reading."""
    if not found:
        return
    now, ttl = time.time(), _ttl()
    pipe = django_rq.get_connection("default").pipeline(transaction=False)
    for uuid, disks in found.items():
        pipe.set(KEY.format(uuid), json.dumps({"at": now, "disks": list(disks)}), ex=ttl)
    pipe.execute()


def read_many(uuids: list[str]) -> dict[str, dict]:
    """{uuid: {"at": epoch seconds, "disks": [...]}} for the uuids that have figures."""
    if not uuids:
        return {}
    values = django_rq.get_connection("default").mget([KEY.format(uuid) for uuid in uuids])
    return {uuid: json.loads(value) for uuid, value in zip(uuids, values, strict=True) if value}


def disk_rows(instance) -> tuple[list[dict], datetime | None]:
    """The instance's disks (its definition) with their latest figures, and when those were read."""
    figures = read_many([str(instance.uuid)]).get(str(instance.uuid), {})
    by_target = {disk.get("target"): disk for disk in figures.get("disks", [])}
    rows = [{**by_target.get(disk.get("target"), {}), **disk} for disk in (instance.details or {}).get("disks", [])]
    at = figures.get("at")
    return rows, datetime.fromtimestamp(at, tz=UTC) if at else None


def volume_usage(host) -> dict[str, dict]:
    """{path: {"instance", "target", "read_bytes", "write_bytes"}} for every disk of the host's
    instances: which volume is used by whom, and how much (Nova's get_all_volume_usage)."""
    rows = list(host.instances.only("pk", "uuid", "name", "details"))
    figures = read_many([str(row.uuid) for row in rows])
    usage = {}
    for row in rows:
        counters = {disk.get("target"): disk for disk in figures.get(str(row.uuid), {}).get("disks", [])}
        for disk in (row.details or {}).get("disks", []):
            if disk.get("source"):
                found = counters.get(disk.get("target"), {})
                usage[disk["source"]] = {
                    "instance": row,
                    "target": disk.get("target"),
                    "read_bytes": found.get("read_bytes"),
                    "write_bytes": found.get("write_bytes"),
                }
    return usage
