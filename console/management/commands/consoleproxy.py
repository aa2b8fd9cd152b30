"""`manage.py consoleproxy`: serve VNC/SPICE consoles to browsers through websockify."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from redis.exceptions import RedisError
from websockify.websockifyserver import WebSockifyServer

from console.proxy import make_server, prepare


class Command(BaseCommand):
    help = "Run the websocket console proxy (websockify, one process per connection) on CONSOLE_PROXY_HOST:PORT."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.CONSOLE_PROXY_HOST, help="listen address")
        parser.add_argument("--port", type=int, default=settings.CONSOLE_PROXY_PORT, help="listen port")

    def handle(self, *args, host, port, **options):
        try:  # websockify only logs a failed bind and exits 0: fail loudly instead
            WebSockifyServer.socket(host, port).close()
        except OSError as error:
            raise CommandError(f"console proxy cannot listen on {host}:{port}: {error}") from None
        try:
            prepare()  # also closes our connections: each browser connection is served in a forked child
        except (RedisError, DatabaseError) as error:
            raise CommandError(f"console proxy cannot start: {error}") from None
        server = make_server(host=host, port=port)
        self.stdout.write(f"console proxy on {host}:{port}", ending="\n")
        self.stdout.flush()
        server.start_server()
