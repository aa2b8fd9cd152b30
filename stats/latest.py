"""The newest rates of every host and running guest, kept in Redis by the sampler for the fleet
dashboard: the busiest guests come from a sorted set (by CPU) without reading any history file.
A guest leaves it when it stops; figures older than a few samples are not shown."""

import json
import time

from django.conf import settings
from redis.exceptions import RedisError

from config.redis_client import redis_client

HOSTS = "lvc:stats:hosts"  # host pk -> {"cpu", "memory", "at"}
GUESTS = "lvc:stats:guests"  # uuid -> {"cpu", "memory", "at"}
BY_CPU = "lvc:stats:guests-by-cpu"  # uuid scored by CPU %
LOOKED_AT = 200  # the busiest guests read before keeping those the user may see


def fresh_after() -> float:
    return time.time() - 3 * max(settings.STATS_INTERVAL, settings.MONITOR_INTERVAL)


def record(host_pk: int, host_values: dict, guests: dict[str, dict], gone, at: float) -> None:
    """Keep a host's newest figures and its running guests' ({uuid: {"cpu", "memory"}}); forget
    the guests of this host that are `gone` (stopped or moved since its last sample)."""
    pipe = redis_client().pipeline(transaction=False)
    pipe.hset(HOSTS, str(host_pk), json.dumps({**host_values, "at": at}))
    for uuid, values in guests.items():
        pipe.hset(GUESTS, uuid, json.dumps({**values, "at": at}))
        pipe.zadd(BY_CPU, {uuid: values["cpu"] if values["cpu"] is not None else 0})
    if gone:
        pipe.zrem(BY_CPU, *gone).hdel(GUESTS, *gone)
    pipe.execute()


def hosts(pks: list[int]) -> dict[int, dict]:
    """{pk: {"cpu", "memory", "at"}} of the hosts with fresh figures."""
    if not pks:
        return {}
    try:
        values = redis_client().hmget(HOSTS, [str(pk) for pk in pks])
    except RedisError:  # the dashboard shows what the database holds
        return {}
    found = {pk: json.loads(value) for pk, value in zip(pks, values, strict=True) if value}
    return {pk: figures for pk, figures in found.items() if figures["at"] >= fresh_after()}


def busiest(visible_uuids, count: int = 10) -> list[tuple[str, dict]]:
    """[(uuid, {"cpu", "memory", "at"})] of the busiest running guests (by CPU) among those
    `visible_uuids(candidates)` keeps, freshest figures only."""
    try:
        candidates = [uuid.decode() for uuid in redis_client().zrevrange(BY_CPU, 0, LOOKED_AT - 1)]
        values = redis_client().hmget(GUESTS, candidates) if candidates else []
    except RedisError:
        return []
    figures = {uuid: json.loads(value) for uuid, value in zip(candidates, values, strict=True) if value}
    limit = fresh_after()
    stale = [uuid for uuid in candidates if uuid not in figures or figures[uuid]["at"] < limit]
    if stale:  # a guest of a host no longer sampled (down, removed): forgotten, so fresh ones take its place
        forget(stale)
    allowed = visible_uuids([uuid for uuid in candidates if uuid not in stale])
    return [(uuid, figures[uuid]) for uuid in candidates if uuid in allowed][:count]


def forget(uuids: list[str]) -> None:
    try:
        redis_client().pipeline(transaction=False).zrem(BY_CPU, *uuids).hdel(GUESTS, *uuids).execute()
    except RedisError:
        pass
