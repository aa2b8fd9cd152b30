"""Login throttling in Redis: failed logins are counted per username and per client address; a
correct password never counts, so correct logins never lock anyone out.

- A failure adds one to both counters; the window starts at the first failure and is not pushed
  by later ones. At LOGIN_MAX_FAILURES on either counter, attempts are refused (even with the
  right password, which is then not checked) until the window ends. Refused attempts add nothing.
- A correct password clears its username's counter (its owner is back) but not the address's:
  otherwise a guesser with one account of their own could log into it between guesses and guess
  on for ever. The address counter still ends with its window.
- Parallel guesses cannot slip past the limit: a password check in flight holds a slot, and
  failures plus slots never exceed the limit. An attempt that finds every slot taken (say, many
  logins at once from one office) waits for one instead of failing; only after SLOT_WAIT seconds
  is it refused ("busy"), leaving nothing counted. A slot outlives a crashed check by SLOT_LEASE.
Redis not answering lets logins through (logged), as before.
"""

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from redis.exceptions import RedisError

from config.redis_client import redis_client

log = logging.getLogger(__name__)

SLOT_WAIT = 10.0  # seconds an attempt waits for a free slot
SLOT_LEASE = 60_000  # milliseconds a slot is held at most

# KEYS: user failures, address failures, user slots, address slots. ARGV: token, lease ms, limit.
# Returns {"throttled", seconds}, {"busy", 0} or {"ok", 0}.
_RESERVE = """
local limit = tonumber(ARGV[3])
local wait = 0
for i = 1, 2 do
  if tonumber(redis.call('get', KEYS[i]) or '0') >= limit then
    wait = math.max(wait, redis.call('ttl', KEYS[i]), 1)
  end
end
if wait > 0 then return {'throttled', wait} end
local now = redis.call('time')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
for i = 1, 2 do
  redis.call('zremrangebyscore', KEYS[i + 2], '-inf', now_ms)
  if tonumber(redis.call('get', KEYS[i]) or '0') + redis.call('zcard', KEYS[i + 2]) >= limit then
    return {'busy', 0}
  end
end
for i = 3, 4 do
  redis.call('zadd', KEYS[i], now_ms + tonumber(ARGV[2]), ARGV[1])
  redis.call('pexpire', KEYS[i], ARGV[2])
end
return {'ok', 0}
"""


def throttle_keys(username: str, address: str) -> tuple[str, str]:
    """The Redis counters of failed logins for a username (case-insensitive) and a client address."""
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()
    return f"lvc:login-failures:user:{name}", f"lvc:login-failures:address:{address}"


@dataclass
class Refusal:
    reason: str  # "throttled" or "busy"
    wait: int = 0  # seconds until the window ends (throttled)


class LoginAttempt:
    """One password check: `begin()` takes a slot or says why not; then exactly one of
    `failed()`, `succeeded()` or `abandoned()` (an error, nothing learnt) gives it back."""

    def __init__(self, username: str, address: str):
        self.failures = throttle_keys(username, address)
        self.slots = tuple(key.replace("login-failures", "login-checking") for key in self.failures)
        self.token = secrets.token_hex(8)
        self.holding = False

    def begin(self) -> Refusal | None:
        deadline = time.monotonic() + SLOT_WAIT
        try:
            conn = redis_client()
            while True:
                answer, wait = conn.eval(_RESERVE, 4, *self.failures, *self.slots, self.token, SLOT_LEASE,
                                         settings.LOGIN_MAX_FAILURES)  # fmt: skip
                answer = answer.decode() if isinstance(answer, bytes) else answer
                if answer == "ok":
                    self.holding = True
                    return None
                if answer == "throttled":
                    return Refusal("throttled", int(wait))
                if time.monotonic() > deadline:
                    return Refusal("busy")
                time.sleep(0.05)
        except RedisError:
            log.warning("login throttling is off: Redis does not answer", exc_info=True)
            return None

    def failed(self) -> None:
        self._end(count=True)

    def succeeded(self) -> None:
        self._end(clear_user=True)

    def abandoned(self) -> None:
        self._end()

    def _end(self, *, count: bool = False, clear_user: bool = False) -> None:
        try:
            pipe = redis_client().pipeline()  # MULTI: counted and freed at once
            if count:
                for key in self.failures:
                    pipe.set(key, 0, ex=settings.LOGIN_FAILURE_WINDOW, nx=True)
                    pipe.incr(key)
            if clear_user:
                pipe.delete(self.failures[0])
            if self.holding:
                for key in self.slots:
                    pipe.zrem(key, self.token)
            pipe.execute()
        except RedisError:
            log.warning("could not update the failed login counters", exc_info=True)
        self.holding = False
