"""Per-token throttling (API_TOKEN_RATE, e.g. "600/min"), counted in Redis so that every web
process shares one count; session requests (the pages' own) are not throttled here."""

import time

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

from api.permissions import token_of
from config.redis_client import redis_client

PERIODS = {"s": 1, "sec": 1, "min": 60, "hour": 3600, "day": 86400}


def rate() -> tuple[int, int]:
    """(requests, seconds) from API_TOKEN_RATE."""
    count, _, period = settings.API_TOKEN_RATE.partition("/")
    return int(count), PERIODS[period]


class TokenRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        token = token_of(request)
        if token is None:
            return True
        limit, period = rate()
        window = int(time.time() // period)
        key = f"lvc:api-throttle:{token.pk}:{window}"
        try:
            connection = redis_client()
            count = connection.incr(key)
            if count == 1:
                connection.expire(key, period + 1)
        except RedisError:
            return True  # Redis not answering lets requests through, as for logins
        self.wait_seconds = period - time.time() % period
        return count <= limit

    def wait(self) -> float:
        return getattr(self, "wait_seconds", None)
