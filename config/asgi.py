"""ASGI entry point: HTTP (Django, static files) and websockets (Channels)."""

import os
from concurrent.futures import ThreadPoolExecutor

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler

KEPT_THREADS = 32  # idle request threads a web process keeps


class OneHopASGIHandler(ASGIHandler):
    """Django's ASGI handler, with two costs of each request gone. The middleware and the view run
    as one synchronous chain in one hop to the request's thread (every view here is synchronous;
    Django's handler runs each middleware in async mode, two hops per middleware, ~6 ms for the
    console's eight). And that thread (one executor of one thread: everything synchronous of a
    request runs on it) is taken from the idle ones instead of started and joined for every
    request. Django's handler ends a request with a call on that thread (request_finished, closing
    the response), after any work of a view whose client went away: a thread put back is idle."""

    def __init__(self):
        super().__init__()
        self.idle_threads: list[ThreadPoolExecutor] = []

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)

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
