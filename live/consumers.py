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

    async def _visible(self, event: dict) -> dict | None:
        """The event as this user may see it: None when it is about nothing they may see, a batch
        keeps only what they may see. Grants are re-read when they change."""
        if event["kind"] == "grants" or time.monotonic() - self.grants_read > SCOPE_MAX_AGE:
            await self._load_scope()
        if event["kind"] != "batch":
            return event if self.visible(event["kind"], event["data"]) else None
        events = [inner for inner in event["data"]["events"] if self.visible(inner["kind"], inner["data"])]
        return {**event, "data": {"events": events}} if events else None

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
                if visible := await self._visible(event):
                    await self.send_json(visible)
                last = event["seq"]
        self.synced, self.pending, self.replayed_to = True, [], last

    async def live_event(self, event):
        message = {"seq": event["seq"], "kind": event["kind"], "data": event["data"]}
        if self.synced:
            if message["seq"] <= self.replayed_to:  # sent with the replay already (logged, then sent to the group)
                return
            if visible := await self._visible(message):
                await self.send_json(visible)
        else:
            self.pending.append(message)
