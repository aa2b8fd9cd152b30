"""The websocket every page opens to receive live updates."""

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from live.broadcast import GROUP, events_since


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        if not self.scope["user"].is_authenticated:
            await self.close(code=4401)
            return
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()
        await self.send_json({"kind": "hello", "data": {"user": self.scope["user"].get_username()}})

    async def disconnect(self, code):
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """A page says which event it saw last (`{"since": N}`) and gets what came after.

        Group events wait while this runs, so they arrive after the replay; pages skip repeats."""
        since = content.get("since") if isinstance(content, dict) else None
        if not isinstance(since, int) or since < 0:
            return
        missed = await sync_to_async(events_since)(since)
        if missed is None:
            await self.send_json({"kind": "stale", "data": {}})
            return
        for event in missed:
            await self.send_json(event)

    async def live_event(self, event):
        await self.send_json({"seq": event["seq"], "kind": event["kind"], "data": event["data"]})
