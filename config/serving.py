"""The web server's HTTP protocol (`uvicorn --http config.serving:NoDelayH11Protocol`): uvicorn's
own h11 protocol with Nagle's algorithm off on every connection. With --workers, uvicorn binds the
listening socket itself without IPPROTO_TCP, and asyncio then leaves TCP_NODELAY unset on the
connections it accepts: every keep-alive response whose body follows its headers in a second
segment waited ~40 ms for the browser's delayed ACK (uvicorn issue #3149). Websockets upgraded
from these connections keep the option."""

import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport):
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
