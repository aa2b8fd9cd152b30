"""The console proxy: websockify (the library, in its forking server) with our ticket checks.

The browser connects to `/<kind>?token=<ticket>` with its Django session cookie. Before the
websocket is accepted the handler checks, in order: the kind in the path, the Origin header,
the ticket (taken once, kind-bound), that the session belongs to the ticket's user (for a ticket
issued through the API: that the request's `Authorization: Bearer` is the API token it was issued
with; such a client needs no Origin), and where the
guest's console listens (live, through libvirt), where the ticket's short-lived graphics password
is then set (console/tickets.py). Any failure is logged with its reason (never the
token) and answered with 403. Each connection is served in its own forked process (websockify's
default): it opens its own database and libvirt connections and records a ConsoleSession.
"""

import logging
import re
from importlib import import_module
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.db import connections
from django.http.cookie import parse_cookie
from rest_framework.exceptions import AuthenticationFailed
from websockify.auth_plugins import AuthenticationError
from websockify.token_plugins import BasePlugin
from websockify.websocketproxy import ProxyRequestHandler, WebSocketProxy
from websockify.websockifyserver import WebSockifyServer

from api.authentication import token_of_text
from api.models import ApiToken
from audit.models import AuditAction, AuditOutcome
from audit.services import record
from config.redis_client import redis_client
from console import tickets
from console.models import ConsoleKind
from console.proxy_limits import Slots, clear_deadline, start_deadline
from console.sessions import close_session, open_session
from instances.access import may
from instances.models import Instance
from virt.connection import open_connection
from virt.consoles import admit
from virt.errors import VirtError

KINDS = (ConsoleKind.VNC, ConsoleKind.SPICE)
log = logging.getLogger("console.proxy")
_TOKEN = re.compile(r"(token=)([^&\s'\"]*)")
_CLOSE = {"Content-Length": "0", "Connection": "close"}  # headers of a refusal


class Refused(Exception):
    """A connection we do not serve; the message is the reason that is logged."""


def scrub(text: str) -> str:
    """`text` with every `token=...` value masked."""
    return _TOKEN.sub(lambda match: match.group(1) + tickets.mask(match.group(2)), text)


class ScrubTokens(logging.Filter):
    """Masks tokens in every record of websockify's own logger (request lines, paths, errors)."""

    def filter(self, record):
        record.msg, record.args = scrub(record.getMessage()), ()
        return True


def origin_allowed(origin: str | None) -> bool:
    allowed = {entry.rstrip("/").lower() for entry in settings.CONSOLE_ALLOWED_ORIGINS}
    return bool(origin) and origin.rstrip("/").lower() in allowed


def session_user_id(cookie_header: str) -> int | None:
    """The id of the active user signed in with the session cookie in `cookie_header`, or None."""
    key = parse_cookie(cookie_header or "").get(settings.SESSION_COOKIE_NAME)
    if not key:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    user = auth.get_user(SimpleNamespace(session=store))  # checks the session hash, like a request
    return user.pk if user.is_authenticated and user.is_active else None


def bearer_user_id(authorization: str, token_id: int) -> int | None:
    """The user id of the usable API token `token_id` when `authorization` is "Bearer <its secret>"."""
    keyword, _, text = authorization.partition(" ")
    try:
        token = token_of_text(text.strip()) if keyword == "Bearer" else None
    except AuthenticationFailed:
        return None
    return token.user_id if token is not None and token.pk == token_id else None


class TicketPlugin(BasePlugin):
    """websockify token plugin: takes our tickets and finds the guest console they lead to."""

    def __init__(self, src=None):
        super().__init__(src)

    def lookup(self, token: str, kind: str = "vnc") -> tickets.Ticket | None:
        """The ticket, taken (single use) for a console of `kind`; None when refused (take logs why)."""
        return tickets.take(token, kind=kind)

    def resolve_target(self, instance: Instance, ticket: tickets.Ticket) -> tuple[str, int]:
        """(address, port) of the instance's console of the ticket's kind, read live from its host,
        once the ticket's password is set on it (valid for CONSOLE_PASSWORD_VALID seconds)."""
        host = instance.host
        try:
            conn = open_connection(host.uri, timeout=settings.LIBVIRT_CONNECT_TIMEOUT, credentials=host.credentials())
            try:
                port = admit(conn, str(instance.uuid), ticket.kind, ticket.password,
                             valid_for=settings.CONSOLE_PASSWORD_VALID)  # fmt: skip
            finally:
                conn.close()
        except VirtError as error:
            raise Refused(str(error)) from None
        return host.console_host, port


class ConsoleRequestHandler(ProxyRequestHandler):
    """One browser connection (in its own process): checks, then proxies and records the session."""

    ticket: tickets.Ticket | None = None
    instance: Instance | None = None

    def log_message(self, format, *args):
        self.logger.info("%s %s", self.client_address[0], scrub(format % args))

    def validate_connection(self):
        clear_deadline()  # the request line and headers are in
        try:
            self.ticket, self.instance, target = self._check()
        except Refused as refusal:
            log.warning("console connection from %s refused: %s", self.client_address[0], refusal)
            self.send_auth_error(
                AuthenticationError(response_code=403, response_msg="Forbidden", response_headers=_CLOSE)
            )
            raise self.server.EClose("") from None
        self.server.target_host, self.server.target_port = target  # this process's copy of the server

    def finish(self):
        super().finish()
        connections.close_all()  # this process's own database connections

    def send_ping(self, data=b""):
        """Every heartbeat (CONSOLE_PROXY_HEARTBEAT s): check again that the ticket's user may
        still use this console (grant, permissions, account); close the session when not."""
        why = access_lost(self.ticket.user_id, self.instance.pk, self.ticket.token_id)
        if why:
            log.warning("%s console of %s closed: %s", self.ticket.kind, self.instance.name, why)
            raise self.CClose(4403, "access withdrawn")
        super().send_ping(data)

    def auth_connection(self):
        """Everything is checked in validate_connection."""

    def get_target(self, target_plugin):
        raise NotImplementedError("tickets are checked in validate_connection (websockify's would log the token)")

    def _check(self) -> tuple[tickets.Ticket, Instance, tuple[str, int]]:
        url = urlparse(self.path)
        kind = url.path.rstrip("/").rsplit("/", 1)[-1]
        if kind not in KINDS:
            raise Refused(f"unknown console kind {kind[:20]!r} in the path")
        origin, authorization = self.headers.get("Origin"), self.headers.get("Authorization")
        if (origin is not None or authorization is None) and not origin_allowed(origin):  # a browser sends one
            raise Refused(f"wrong Origin {origin!r:.100} (not in CONSOLE_ALLOWED_ORIGINS)")
        token = (parse_qs(url.query).get("token") or [""])[0]
        ticket = self.server.token_plugin.lookup(token, kind=kind)
        if ticket is None:
            raise Refused(f"no valid {kind} ticket (unknown, expired, already used or for another console)")
        if ticket.token_id is not None:  # issued through the API: the same token must come along
            user_id = bearer_user_id(authorization or "", ticket.token_id)
            if user_id is None:
                raise Refused(f"no Authorization with the API token of the ticket (user {ticket.user_id})")
        else:
            user_id = session_user_id(self.headers.get("Cookie", ""))
            if user_id is None:
                raise Refused(f"no signed-in session (ticket of user {ticket.user_id})")
        if user_id != ticket.user_id:
            raise Refused(f"session of user {user_id} does not match the ticket's user {ticket.user_id}")
        instance = Instance.objects.select_related("host").filter(pk=ticket.instance_id).first()
        if instance is None:
            raise Refused(f"instance {ticket.instance_id} no longer exists")
        return ticket, instance, self.server.token_plugin.resolve_target(instance, ticket)

    def new_websocket_client(self):
        ticket, client = self.ticket, self.client_address[0]
        session_id = open_session(user_id=ticket.user_id, instance=self.instance, kind=ticket.kind, client=client)
        log.info("%s console of %s opened by user %s from %s", ticket.kind, self.instance.name, ticket.user_id, client)
        reason = "ended"
        try:
            super().new_websocket_client()
        except self.CClose as close:
            code, why = close.args
            reason = f"{why or 'closed by the browser'} ({code})"
            raise
        except WebSockifyServer.Terminate:
            reason = "console proxy stopped"
            raise
        except Exception as error:
            reason = f"error: {error}"
            raise
        finally:
            close_session(session_id, reason=reason)
            log.info("%s console of %s closed: %s", ticket.kind, self.instance.name, reason)


def access_lost(user_id: int, instance_id: int, token_id: int | None = None) -> str:
    """Why the user (through the API token `token_id`, when the ticket came with one) may no longer
    open this console ("" while they may); a loss is audited."""
    account = get_user_model().objects.filter(pk=user_id).first()
    instance = Instance.objects.filter(pk=instance_id).first()
    if instance is None:
        return "the instance is gone"
    token = ApiToken.objects.filter(pk=token_id).first() if token_id is not None else None
    if account is not None and token is not None:
        account.api_token = token  # its limits narrow the account's rights (accounts.scope)
    if account is None or not account.is_active:
        why = "the account is deactivated or removed"
    elif token_id is not None and (token is None or not token.usable):
        why = "its API token was revoked, has expired or is gone"
    elif not may(account, instance, "console"):
        why = "no longer allowed to open this console"
    else:
        return ""
    record(action=AuditAction.ACCESS_DENIED, user=account, username=str(user_id), obj=instance,
           outcome=AuditOutcome.REFUSED, detail=f"console instance {instance_id} ({why}) (console proxy)")  # fmt: skip
    return why


def prepare() -> None:
    """In the parent, before serving: fail now if Redis or the database does not answer, and load
    what every connection needs so forked children start warm. Leaves no connection open."""
    redis = redis_client()
    redis.ping()
    redis.connection_pool.disconnect()
    import_module(settings.SESSION_ENGINE)
    auth.get_backends()
    Instance.objects.select_related("host").filter(pk=0).first()
    connections.close_all()


class ConsoleProxyServer(WebSocketProxy):
    """websockify's server whose handler processes check in first (console/proxy_limits.py)."""

    def __init__(self, **options):
        super().__init__(**options)
        self.slots = Slots(settings.CONSOLE_PROXY_MAX_CONNECTIONS)

    def top_new_client(self, startsock, address):
        client = address[0] if address else ""
        refusal = self.slots.take(client, per_address=settings.CONSOLE_PROXY_MAX_PER_ADDRESS)
        if refusal:
            log.warning("console connection from %s refused: %s", client, refusal)
            return
        start_deadline(settings.CONSOLE_PROXY_HEADER_DEADLINE)
        try:
            super().top_new_client(startsock, address)
        finally:
            clear_deadline()
            self.slots.release()


def make_server(*, host: str, port: int, plugin: TicketPlugin | None = None, **options) -> WebSocketProxy:
    """Our websockify server with our handler and plugin, its log lines scrubbed of tokens."""
    server = ConsoleProxyServer(
        RequestHandlerClass=ConsoleRequestHandler,
        listen_host=host,
        listen_port=port,
        token_plugin=plugin or TicketPlugin(),
        heartbeat=options.pop("heartbeat", settings.CONSOLE_PROXY_HEARTBEAT),
        **options,
    )
    logger = WebSockifyServer.get_logger()
    if not any(isinstance(f, ScrubTokens) for f in logger.filters):
        logger.addFilter(ScrubTokens())
    return server
