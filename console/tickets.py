"""Console tickets: a random token (192 bits) issued after a permission check, stored only as
its SHA-256 in Redis for TICKET_TTL seconds, taken once (atomically), bound to a user, an
instance and a console kind. The token itself is never stored or logged.

Tickets issued together (a SPICE page needs one per channel) share a nonce; the graphics password
the proxy sets on the guest when one of them is used, and the page sends to the guest, is derived
from it with the SECRET_KEY, so Redis never holds a password either."""

import base64
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings

from config.redis_client import redis_client
from virt.consoles import PASSWORD_LENGTH

TICKET_TTL = 60  # seconds
PREFIX = "lvc:console-ticket:"
log = logging.getLogger("console.tickets")


@dataclass(frozen=True)
class Ticket:
    user_id: int
    instance_id: int
    kind: str
    nonce: str = ""
    token_id: int | None = None  # issued through the API with this token: the proxy wants it, not a session

    @property
    def password(self) -> str:
        return graphics_password(self.nonce)


def mask(token: str) -> str:
    """What of a token may appear in a log line."""
    return f"{token[:4]}…" if token else "(none)"


def _key(token: str) -> str:
    return PREFIX + hashlib.sha256(token.encode()).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def graphics_password(nonce: str) -> str:
    """The graphics console password of the tickets issued with `nonce`."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"graphics-password:{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode()[:PASSWORD_LENGTH]  # 48 bits


def issue(*, user_id: int, instance_id: int, kind: str, nonce: str = "", token_id: int | None = None) -> str:
    token = secrets.token_urlsafe(24)
    payload = json.dumps({"user_id": user_id, "instance_id": instance_id, "kind": kind, "nonce": nonce or new_nonce(),
                          "token_id": token_id})  # fmt: skip
    redis_client().set(_key(token), payload, ex=TICKET_TTL, nx=True)
    return token


def take(token: str, *, kind: str) -> Ticket | None:
    """The ticket for `token`, removed so it cannot be used again; None (and a log line without
    the token) when it is unknown, expired, already used or for another kind of console."""
    if not token or len(token) > 128:
        log.warning("console ticket %s refused: malformed", mask(token or ""))
        return None
    raw = redis_client().getdel(_key(token))
    if raw is None:
        log.warning("console ticket %s refused: unknown, expired or already used", mask(token))
        return None
    ticket = Ticket(**json.loads(raw))
    if ticket.kind != kind:
        log.warning("console ticket %s refused: issued for %s, used for %s", mask(token), ticket.kind, kind)
        return None
    return ticket
