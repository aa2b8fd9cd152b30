"""The web process's request handler (config/asgi.py): a page is made and closed on its thread
in one hop, then sent whole; a streamed download is sent whole, a part at a time, then closed;
request threads are kept for the next requests."""

import asyncio
import threading

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.signals import request_finished, request_started
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from config.asgi import django_asgi_app

EVENTS: list[tuple[str, str]] = []  # (what, thread name)


def page(request):
    EVENTS.append(("view", threading.current_thread().name))
    return HttpResponse("x" * 200_000)


def download(request):
    return FileResponse(open(__file__, "rb"), as_attachment=True)  # noqa: SIM115 - the response closes it


def stream(request):
    def parts():
        for n in range(5):
            EVENTS.append((f"part {n}", threading.current_thread().name))
            yield b"p" * 100_000

    return StreamingHttpResponse(parts())


urlpatterns = [path("page/", page), path("download/", download), path("stream/", stream)]


def get(url: str) -> list[dict]:
    """The ASGI messages the handler sends for a GET of `url`."""
    scope = {"type": "http", "method": "GET", "path": url, "raw_path": url.encode(), "query_string": b"",
             "headers": [(b"host", b"testserver")], "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
             "scheme": "http", "http_version": "1.1", "asgi": {"version": "3.0"}, "root_path": ""}  # fmt: skip

    async def recorded(scope, receive, send):
        """The handler, each message it sends noted as it sends it."""

        async def sending(message):
            EVENTS.append((f"sent {message['type']}", ""))
            await send(message)

        await django_asgi_app(scope, receive, sending)

    async def run() -> list[dict]:
        communicator = ApplicationCommunicator(recorded, scope)
        await communicator.send_input({"type": "http.request", "body": b""})
        messages = []
        while not messages or messages[-1].get("more_body", False) or messages[-1]["type"] != "http.response.body":
            messages.append(await communicator.receive_output(timeout=10))
        await communicator.wait(timeout=10)
        return messages

    return asyncio.run(run())


def record(what: str):
    def receiver(**_kwargs):
        EVENTS.append((what, threading.current_thread().name))

    return receiver


@pytest.mark.django_db  # a kept request thread may hold a database connection from an earlier test
@override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"])
def test_a_page_is_made_and_closed_on_one_thread_then_sent_whole_and_a_download_closed_after():
    started, finished = record("started"), record("finished")
    request_started.connect(started)
    request_finished.connect(finished)
    try:
        EVENTS.clear()
        messages = get("/page/")
        assert messages[0]["status"] == 200
        assert b"".join(message.get("body", b"") for message in messages[1:]) == b"x" * 200_000
        work = [event for event in EVENTS if not event[0].startswith("sent")]
        assert [what for what, _ in work] == ["started", "view", "finished"]
        assert len({thread for _, thread in work}) == 1 and work[0][1].startswith("request")
        assert EVENTS.index(work[-1]) < EVENTS.index(("sent http.response.start", ""))  # closed before sent

        EVENTS.clear()
        messages = get("/download/")
        assert messages[0]["status"] == 200
        with open(__file__, "rb") as source:
            assert b"".join(message.get("body", b"") for message in messages[1:]) == source.read()
        assert [what for what, _ in EVENTS if not what.startswith("sent")] == ["started", "finished"]
        assert EVENTS[-1][0] == "finished"  # closed once all of it was sent

        EVENTS.clear()
        messages = get("/stream/")
        assert b"".join(message.get("body", b"") for message in messages[1:]) == b"p" * 500_000
        whats = [what for what, _ in EVENTS]
        assert whats.index("sent http.response.body") < whats.index("part 4")  # a part at a time, not all first
        assert {thread for what, thread in EVENTS if what.startswith("part")} == {work[0][1]}  # on its thread

        EVENTS.clear()
        get("/page/")
        get("/page/")
        threads = {thread for what, thread in EVENTS if what == "view"}
        assert len(threads) == 1  # the same kept thread served both
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
