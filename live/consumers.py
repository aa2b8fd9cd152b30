"""The websocket every page opens to receive live updates."""

import time

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from live.broadcast import GROUP, events_since
from live.visibility import EventFilter, filter_for

SCOPE_MAX_AGE = 60  # seconds; grant changes also refresh it at once


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        if not self.scope["user"].is_authenticated:
            await self.close(code=4401)
            return
        # Until the page says which event it saw last, group events wait here: sent before the
        # replay of what the page missed, they would be applied before older ones.
        self.synced = False
        self.pending: list[dict] = []
        await self._load_scope()
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()
        await self.send_json({"kind": "hello", "data": {"user": self.scope["user"].get_username()}})

    async def _load_scope(self) -> None:
        self.visible: EventFilter = await database_sync_to_async(filter_for)(self.scope["user"])
        self.grants_read = time.monotonic()

    async def _allowed(self, event: dict) -> bool:
        """Send only events about what the user may see; grants are re-read when they change."""
        if event["kind"] == "grants" or time.monotonic() - self.grants_read > SCOPE_MAX_AGE:
            await self._load_scope()
        return self.visible(event["kind"], event["data"])

    async def disconnect(self, code):
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """A page says which event it saw last (`{"since": N}`) and gets what came after, in order."""
        since = content.get("since") if isinstance(content, dict) else None
        if self.synced or not isinstance(since, int) or since < 0:
            return
        missed = await sync_to_async(events_since)(since)
        if missed is None:
            await self.send_json({"kind": "stale", "data": {}})
            return
        last = since
        for event in missed + sorted(self.pending, key=lambda event: event["seq"]):
            if event["seq"] > last:
                if await self._allowed(event):
                    await self.send_json(event)
                last = event["seq"]
        self.synced, self.pending = True, []

    async def live_event(self, event):
        message = {"seq": event["seq"], "kind": event["kind"], "data": event["data"]}
        if self.synced:
            if await self._allowed(message):
                await self.send_json(message)
        else:
            self.pending.append(message)
