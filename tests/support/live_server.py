"""The real ASGI application (HTTP + websockets) served by uvicorn in a thread of the test process."""

import socket
import threading
import time

import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self):
        from config.asgi import application

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            application, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off", ws="websockets-sansio"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start within 15 s")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def serving(self) -> set:
        """What is being served now: uvicorn's running ASGI tasks (a request, a websocket)."""
        return set(self.server.server_state.tasks)

    def wait_idle(self, before: set = frozenset(), timeout: float = 15) -> bool:
        """Wait until nothing is being served but what was in `before`, so that a consumer still
        writing its last rows (a console session's end) is done before the test's database is
        flushed: on PostgreSQL, TRUNCATE beside such a write can deadlock. False if something
        was still being served after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.serving() - before:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True
