"""One reader of the live event stream per web process: each event is read from Redis once and
handed to every page this process holds open (each page filters it by what its user may see:
live.consumers). So an event costs one Redis read per web process, whatever the number of pages."""

import asyncio
import logging

import redis.asyncio as aioredis
from django.conf import settings
from redis.exceptions import RedisError

from live.broadcast import GENERATION_KEY, STREAM_KEY, entry_event, generation_of

log = logging.getLogger(__name__)
BLOCK_MS = 1000  # ms a read waits for an event (then it reads again)
_fanouts: dict[asyncio.AbstractEventLoop, "Fanout"] = {}


class Fanout:
    """The pages of one event loop (one web process) and the task reading the stream for them."""

    def __init__(self):
        self.pages: set = set()
        self.generation = 0  # of the numbering read now
        self._reader: asyncio.Task | None = None

    def join(self, page) -> None:
        """`page.deliver(event, generation)` is called, on this loop, for every event from now on."""
        self.pages.add(page)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.get_running_loop().create_task(self._read(), name="live-fanout")

    def leave(self, page) -> None:
        self.pages.discard(page)

    async def _read(self) -> None:
        """From the newest entry on (pages ask for what came before). When Redis lost its data
        (restarted, flushed) the numbers start again under a new generation: read from the start."""
        connection = aioredis.Redis.from_url(settings.REDIS_URL)
        last = None
        try:
            while True:
                try:
                    if last is None:
                        self.generation = generation_of(await connection.get(GENERATION_KEY))
                        newest = await connection.xrevrange(STREAM_KEY, count=1)
                        last = newest[0][0] if newest else b"0-0"
                    answer = await connection.xread({STREAM_KEY: last}, block=BLOCK_MS)
                    now = generation_of(await connection.get(GENERATION_KEY))
                    if now != self.generation:  # what was just read belongs to the new numbering: again
                        last, self.generation = b"0-0", now
                        continue
                    for _stream, entries in answer or []:
                        for entry_id, fields in entries:
                            last = entry_id
                            self._deliver(entry_event(entry_id, fields))
                except (RedisError, OSError) as error:
                    log.warning("live updates: reading the event stream failed (%s); trying again", error)
                    await asyncio.sleep(1)
        finally:
            await connection.aclose()

    def _deliver(self, event: dict) -> None:
        for page in list(self.pages):
            page.deliver(event, self.generation)


def fanout() -> Fanout:
    """This event loop's fan-out (one per web process)."""
    loop = asyncio.get_running_loop()
    if loop not in _fanouts:
        _fanouts[loop] = Fanout()
    return _fanouts[loop]
