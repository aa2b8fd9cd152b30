"""The websocket every page opens to receive live updates. Events come from this process's
fan-out (live.fanout: one reader of the event stream per web process) into the page's inbox, and
go out in order, filtered by what the page's user may see."""

import asyncio
import time

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from live.broadcast import events_since
from live.fanout import fanout
from live.visibility import EventFilter, filter_for

SCOPE_MAX_AGE = 60  # seconds; grant changes also refresh it at once
# The filter read for a user after the latest "grants" event, shared by that user's pages in this
# process: {(event loop, user id): ((generation, seq) of the event, the filter read)}. One read per user, not per page.
_after_grants: dict[tuple, tuple[tuple[int, int], asyncio.Future]] = {}


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        if not self.scope["user"].is_authenticated:
            await self.close(code=4401)
            return
        # Until the page says which event it saw last, events wait here: sent before the replay
        # of what the page missed, they would be applied before older ones.
        self.synced = False
        self.pending: list[tuple[dict, int]] = []
        self.generation = 0  # of the numbering the page follows (a Redis that lost its data starts a newer one)
        self.floor = 0  # the page has every event up to this one
        self.sending = asyncio.Lock()  # the replay and the inbox never interleave
        self.inbox: asyncio.Queue = asyncio.Queue()
        await self._load_scope()
        fanout().join(self)
        self.drainer = asyncio.create_task(self._drain())
        await self.accept()
        await self.send_json({"kind": "hello", "data": {"user": self.scope["user"].get_username()}})

    def deliver(self, event: dict, generation: int) -> None:
        """From the fan-out, on this loop: queued, so a slow page delays nobody else."""
        self.inbox.put_nowait((event, generation))

    async def _drain(self) -> None:
        while True:
            await self.live_event(*await self.inbox.get())

    async def _load_scope(self, *, after: tuple[int, int] | None = None) -> None:
        """Read what the user may see (`after`: the (generation, seq) of the "grants" event that
        asks for it: read once for all of the user's pages here)."""
        self.grants_read = time.monotonic()
        if after is None:
            self.visible: EventFilter = await database_sync_to_async(filter_for)(self.scope["user"])
            return
        key = (asyncio.get_running_loop(), self.scope["user"].pk)
        seq, reading = _after_grants.get(key, ((-1, -1), None))
        if seq < after:  # (a read after a newer "grants" event serves as well)
            reading = asyncio.ensure_future(database_sync_to_async(filter_for)(self.scope["user"]))
            _after_grants[key] = (after, reading)
        self.visible = await asyncio.shield(reading)

    async def _visible(self, event: dict) -> dict | None:
        """The event as this user may see it: None when it is about nothing they may see, a batch
        keeps only what they may see. Grants are re-read when they change."""
        if event["kind"] == "grants":
            await self._load_scope(after=(self.generation, event["seq"]))
        elif time.monotonic() - self.grants_read > SCOPE_MAX_AGE:
            await self._load_scope()
        if event["kind"] != "batch":
            return event if self.visible(event["kind"], event["data"]) else None
        events = [inner for inner in event["data"]["events"] if self.visible(inner["kind"], inner["data"])]
        return {**event, "data": {"events": events}} if events else None

    async def disconnect(self, code):
        if hasattr(self, "drainer"):
            fanout().leave(self)
            self.drainer.cancel()

    async def receive_json(self, content, **kwargs):
        """A page says which event it saw last (`{"since": N}`) and gets what came after, in order."""
        since = content.get("since") if isinstance(content, dict) else None
        if self.synced or not isinstance(since, int) or since < 0:
            return
        async with self.sending:
            missed, self.generation = await sync_to_async(events_since)(since)
            if missed is None:
                await self.send_json({"kind": "stale", "data": {}})
                return
            self.floor = since
            for event in missed:
                await self._send(event)
            self.synced, pending, self.pending = True, self.pending, []
            for event, generation in sorted(pending, key=lambda item: item[0]["seq"]):
                await self._follow(event, generation)

    async def live_event(self, event: dict, generation: int):
        async with self.sending:
            if self.synced:
                await self._follow(event, generation)
            else:
                self.pending.append((event, generation))

    async def _follow(self, event: dict, generation: int) -> None:
        """An event from the fan-out: sent unless the page has it, or it is a straggler from
        before Redis lost its data (a newer numbering is followed from its start)."""
        if generation < self.generation:
            return
        if generation > self.generation:
            self.generation, self.floor = generation, 0
        await self._send(event)

    async def _send(self, event: dict) -> None:
        if event["seq"] > self.floor:
            self.floor = event["seq"]
            if visible := await self._visible(event):
                await self.send_json(visible)
