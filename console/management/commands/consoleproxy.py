"""`manage.py consoleproxy`: serve VNC/SPICE consoles to browsers through websockify."""

from django.conf import settings
from django.core.management.base import BaseCommand
from websockify.websocketproxy import WebSocketProxy

from console.proxy import TicketPlugin


class Command(BaseCommand):
    help = "Run the websocket console proxy (websockify) on CONSOLE_PROXY_HOST:CONSOLE_PROXY_PORT."

    def handle(self, *args, **options):
        server = WebSocketProxy(
            listen_host=settings.CONSOLE_PROXY_HOST,
            listen_port=settings.CONSOLE_PROXY_PORT,
            token_plugin=TicketPlugin(None),
            heartbeat=30,
        )
        self.stdout.write(f"console proxy on {settings.CONSOLE_PROXY_HOST}:{settings.CONSOLE_PROXY_PORT}")
        server.start_server()
