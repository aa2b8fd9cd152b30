"""One Redis client per process for the console's own keys (device figures, claims, tickets,
throttles, the monitor's pace): its pool keeps connections open across requests and jobs, where
a client per call (django_rq.get_connection) connects and greets Redis every time."""

from functools import cache

import django_rq
import redis


@cache
def redis_client() -> redis.Redis:
    return django_rq.get_connection("default")
