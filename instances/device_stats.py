"""What each instance's disks and NICs hold and have done (sizes, I/O and traffic counters), as
last read from its host: kept in Redis, not the database, because it changes all the time. The
monitor stores it on every reconcile for all domains at once; an operation, for its instance."""

import json
import time
from datetime import UTC, datetime

from django.conf import settings
from redis.exceptions import RedisError

from config.redis_client import redis_client

KEY = "lvc:device-stats:{}"


def _ttl() -> int:
    return int(max(60, 6 * settings.MONITOR_INTERVAL))  # figures older than a few reconciles are dropped


def store(found: dict[str, dict]) -> None:
    """Keep {uuid: devices} (virt.domains.device_stats), stamped with the time of reading."""
    if not found:
        return
    now, ttl = time.time(), _ttl()
    pipe = redis_client().pipeline(transaction=False)
    for uuid, devices in found.items():
        pipe.set(KEY.format(uuid), json.dumps({"at": now, **devices}), ex=ttl)
    pipe.execute()


def read_many(uuids: list[str]) -> dict[str, dict]:
    """{uuid: {"at": epoch seconds, "disks": [...], "nics": [...]}} for the uuids that have figures."""
    if not uuids:
        return {}
    try:
        values = redis_client().mget([KEY.format(uuid) for uuid in uuids])
    except RedisError:  # the page shows the definition without figures
        return {}
    return {uuid: json.loads(value) for uuid, value in zip(uuids, values, strict=True) if value}


def device_rows(instance) -> tuple[list[dict], list[dict], datetime | None]:
    """The instance's disks and NICs (its definition) with their latest figures, and when those
    were read. Disks match on target name, NICs on the host-side device (vnetN)."""
    figures = read_many([str(instance.uuid)]).get(str(instance.uuid), {})
    details = instance.details or {}
    disks = _merged(details.get("disks", []), figures.get("disks", []))
    nics = _merged(details.get("interfaces", []), figures.get("nics", []))
    leases = _leases(instance.host)
    for nic in nics:
        nic["addresses"] = leases.get((nic.get("mac") or "").lower(), [])
    at = figures.get("at")
    return disks, nics, datetime.fromtimestamp(at, tz=UTC) if at else None


def _leases(host) -> dict[str, list[str]]:
    """{mac: [addresses]} from the DHCP leases of the host's networks (as last read)."""
    found: dict[str, list[str]] = {}
    for network in (host.inventory or {}).get("networks", []):
        for lease in network.get("leases", []):
            found.setdefault((lease.get("mac") or "").lower(), []).append(lease.get("ipaddr", ""))
    return found


def _merged(defined: list[dict], figures: list[dict]) -> list[dict]:
    by_target = {row.get("target"): row for row in figures if row.get("target")}
    return [{**by_target.get(row.get("target"), {}), **row} for row in defined]


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
