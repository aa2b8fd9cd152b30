"""ASGI entry point: HTTP (Django, static files) and websockets (Channels)."""

import asyncio
import contextlib
import os
from concurrent.futures import ThreadPoolExecutor

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.http.response import HttpResponseBase
from django.urls import set_script_prefix

KEPT_THREADS = 32  # idle request threads a web process keeps


class OneHopASGIHandler(ASGIHandler):
    """Django's ASGI handler, with the costs of hopping between the event loop and threads gone.
    Everything synchronous of a request runs in one hop to its thread: the request_started
    signal, the middleware and the view as one synchronous chain (every view here is
    synchronous; Django's handler runs each middleware in async mode, two hops per middleware),
    and closing a response that is not streamed (request_finished) — Django makes three hops of
    these, ~0.1 ms each. Only then are status, headers and body sent, from the event loop; a
    streamed response (downloads) is read and closed as Django's handler does. The thread (one
    executor of one thread) is taken from the idle ones instead of started and joined for every
    request; a view whose client went away runs to its end before its thread is put back."""

    def __init__(self):
        super().__init__()
        self.idle_threads: list[ThreadPoolExecutor] = []

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        thread = self.idle_threads.pop() if self.idle_threads else ThreadPoolExecutor(1, "request")
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            if len(self.idle_threads) < KEPT_THREADS:
                self.idle_threads.append(thread)
            else:
                thread.shutdown(wait=False)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await sync_to_async(self.respond, thread_sensitive=True)(scope, body_file)
            try:
                with contextlib.suppress(asyncio.CancelledError):  # the client went away
                    await self.send_response(response, send)
            finally:
                if response.streaming:
                    await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

    async def send_response(self, response, send):
        """Django's, but a download (a file, any synchronous iterator) is read a chunk at a time on
        the request's thread: Django's handler reads all of it into memory before the first byte."""
        if not response.streaming or response.is_async:
            return await super().send_response(response, send)
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers_of(response)})
        parts = iter(response.streaming_content)
        while (part := await sync_to_async(next, thread_sensitive=True)(parts, None)) is not None:
            for chunk, _ in self.chunk_bytes(part):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body"})

    def respond(self, scope, body_file) -> HttpResponseBase:
        """The request's response, made on its thread (a response not streamed is closed too)."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
        return response


def headers_of(response) -> list[tuple[bytes, bytes]]:
    """A response's headers and cookies as ASGI sends them (as Django's handler makes them)."""
    headers = [(_bytes(name, "ascii"), _bytes(value, "latin1")) for name, value in response.items()]
    return headers + [(b"Set-Cookie", cookie.output(header="").encode("ascii").strip())
                      for cookie in response.cookies.values()]  # fmt: skip


def _bytes(text, encoding: str) -> bytes:
    return text.encode(encoding) if isinstance(text, str) else bytes(text)


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)
django_asgi_app = OneHopASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from config.websocket_routes import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": ASGIStaticFilesHandler(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
