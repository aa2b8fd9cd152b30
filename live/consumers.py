"""The websocket every page opens to receive live updates."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from live.broadcast import GROUP


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
        """Pages only listen; anything they send is ignored."""

    async def live_event(self, event):
        await self.send_json({"kind": event["kind"], "data": event["data"]})
