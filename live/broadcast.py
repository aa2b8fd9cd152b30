"""Push a change to every open page.

Each event gets a sequence number and is appended to a Redis stream that keeps the last KEEP:
each web process reads the stream once and hands every event to its own open pages (live.fanout),
and a page that connects (or reconnects) after it was rendered asks for what it missed: nothing
falls between the render and the websocket."""

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from channels.layers import get_channel_layer

from config.redis_client import redis_client

ACCESS_GROUP = "access"  # long-lived sockets that hold a permission (serial consoles)
SEQ_KEY = "live:seq"
STREAM_KEY = "live:stream"
GENERATION_KEY = "live:generation"  # when the numbering began (ns): a Redis that lost its data starts a newer one
KEEP = 1000
log = logging.getLogger(__name__)
_held = threading.local()  # .pending: the broadcasts held back on this thread (held_back)

# Number and append the event atomically: the stream's entry ids are the sequence numbers.
_RECORD = """
if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('SET', KEYS[3], ARGV[3]) end
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], seq .. '-0', 'e', ARGV[1])
return seq
"""


@cache
def _sender_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process for sending to the channel layer, so its Redis connections are
    kept (a loop per call would open new ones every time) and callers need no loop of their own."""
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="live-broadcast", daemon=True).start()
    return loop


def _group_send(message: dict, group: str) -> None:
    future = asyncio.run_coroutine_threadsafe(get_channel_layer().group_send(group, message), _sender_loop())
    future.result(timeout=10)


def access_changed() -> None:
    """Tell every open console to check its user's access again (a grant, permission or account
    changed). Never raises, like broadcast."""
    try:
        _group_send({"type": "access.changed"}, ACCESS_GROUP)
    except Exception:  # noqa: BLE001
        log.warning("access change could not be sent", exc_info=True)


def current_seq() -> int:
    """The number of the newest event; a page rendered now has seen everything up to it."""
    return int(redis_client().get(SEQ_KEY) or 0)


def entry_event(entry_id: bytes | str, fields: dict) -> dict:
    """A stream entry as pages receive it: {"seq", "kind", "data"}."""
    entry_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return {"seq": int(entry_id.split("-")[0]), **json.loads(fields[b"e"])}


def generation_of(raw: bytes | None) -> int:
    return int(raw or 0)


def events_since(seq: int) -> tuple[list[dict] | None, int]:
    """(events newer than `seq`, oldest first, or None when some were already dropped from the
    stream or `seq` is beyond the newest event (Redis lost its data: the numbers start again);
    the generation of the numbering they belong to)."""
    pipe = redis_client().pipeline(transaction=True)
    pipe.xrange(STREAM_KEY, min=f"{seq + 1}-0", max="+").get(SEQ_KEY).get(GENERATION_KEY)
    entries, newest, generation = pipe.execute()
    events = [entry_event(*entry) for entry in entries]
    if events and events[0]["seq"] != seq + 1 or not events and int(newest or 0) != seq:
        return None, generation_of(generation)
    return events, generation_of(generation)


@contextmanager
def held_back(*, send: bool = True) -> Iterator[list[tuple[str, dict]]]:
    """Broadcasts made inside are kept, and sent when the block ends without an error (so a page
    that re-reads on an event finds the transaction inside committed); dropped with an error.
    With `send=False` the caller sends them (the list it was given), e.g. through an Outbox."""
    outer, pending = getattr(_held, "pending", None), []
    _held.pending = pending
    try:
        yield pending
    finally:
        _held.pending = outer
    if send:
        for kind, data in pending:
            broadcast(kind, data)


class Outbox:
    """Broadcasts about many things (a monitor's hosts) sent in batches: at most one message per
    key (a host) every `every` seconds, holding only the newest event per (kind, id). A page
    unpacks a "batch" message into its events."""

    def __init__(self, *, every: float = 0.5):
        self.every = every
        self._waiting: dict[object, dict[tuple, tuple[str, dict]]] = {}
        self._sent: dict[object, float] = {}

    def add(self, key, kind: str, data: dict) -> None:
        events = self._waiting.setdefault(key, {})
        events.pop((kind, data.get("id")), None)  # the newest one goes last, in the order things happened
        events[(kind, data.get("id"))] = (kind, data)

    def flush(self, *, everything: bool = False) -> int:
        """Send what waits for keys whose last message is old enough (or for all). Returns the
        number of messages sent."""
        now, sent = time.monotonic(), 0
        due = [key for key in self._waiting if everything or now - self._sent.get(key, -self.every) >= self.every]
        for key in due:
            events = list(self._waiting.pop(key).values())
            if len(events) == 1:
                broadcast(*events[0])
            else:
                broadcast("batch", {"events": [{"kind": kind, "data": data} for kind, data in events]})
            self._sent[key], sent = now, sent + 1
        return sent


def broadcast(kind: str, data: dict) -> None:
    """Send `{"seq", "kind", "data"}` to every connected page. Never raises: a failed job must not
    fail for this, and a page that misses an event still shows the truth after a reload."""
    pending = getattr(_held, "pending", None)
    if pending is not None:
        pending.append((kind, data))
        return
    try:
        payload = json.dumps({"kind": kind, "data": data})
        redis_client().eval(_RECORD, 3, SEQ_KEY, STREAM_KEY, GENERATION_KEY, payload, KEEP, time.time_ns())
    except Exception:  # noqa: BLE001 - live updates are best effort by design
        log.warning("live update %s could not be sent", kind, exc_info=True)
