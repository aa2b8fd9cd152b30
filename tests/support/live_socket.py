"""The live-updates websocket as an open page holds it: logged in, from the console's own origin."""

import json
import time

from django.conf import settings
from django.test import Client
from websockets.sync.client import ClientConnection, connect


def session_cookie(user) -> str:
    """A Cookie header value for a fresh session of `user`."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def open_page_socket(base_url: str, user, *, since: int) -> ClientConnection:
    """The socket of a page rendered at event `since`: greeted, and told what it has seen."""
    headers = {"Origin": base_url, "Cookie": session_cookie(user)}
    socket = connect(base_url.replace("http://", "ws://") + "/ws/live/", additional_headers=headers, open_timeout=10)
    assert json.loads(socket.recv(timeout=10))["kind"] == "hello"
    socket.send(json.dumps({"since": since}))
    return socket


def next_event(socket: ClientConnection, matches, *, timeout: float) -> dict:
    """The first event after now for which `matches(event)` is true, looking inside batches as a
    page does (others are read past)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no matching live event within {timeout:g} s")
        message = json.loads(socket.recv(timeout=left))
        events = message["data"]["events"] if message["kind"] == "batch" else [message]
        for event in events:
            if matches(event):
                return event
