"""A file server on loopback for image imports: whole files, a file held half-sent (so that an
import is surely under way), and 404s."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jobs.models import Operation
from jobs.services import start_operation
from tests.support.waiting import wait_until

QCOW2 = b"QFI\xfb" + b"\0" * 4092


class FilesServer:
    """An HTTP server on loopback: /disk.qcow2 (3 MiB of qcow2); /held.raw sends its first MiB of 3,
    then holds the rest until `release` is set; anything else 404."""

    body = QCOW2 + b"x" * (3 * 1024 * 1024)

    def __init__(self):
        self.release = threading.Event()
        files = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  (http.server's name)
                if self.path not in ("/disk.qcow2", "/held.raw"):
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(files.body)))
                self.end_headers()
                if self.path == "/held.raw":
                    self.wfile.write(files.body[: 1024 * 1024])
                    self.wfile.flush()
                    files.release.wait(120)
                    self.wfile.write(files.body[1024 * 1024 :])
                else:
                    self.wfile.write(files.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()


@pytest.fixture
def files_server():
    server = FilesServer()
    yield server
    server.close()


def held_download(name: str, user, server: FilesServer) -> Operation:
    """An import under way for sure: its first MiB received, the rest held by the server."""
    params = {"name": name, "urls": {"disk": f"{server.url}/held.raw"}, "disk_format": "raw"}
    op = start_operation(kind="image.import", target_type="image", target_name=name, user=user, params=params)

    def message() -> str:
        return Operation.objects.get(pk=op.pk).message

    wait_until(lambda: message().startswith("Downloading the disk: 1 of 3 MiB"), timeout=60,
               what=lambda: f"the download under way: {message()}")  # fmt: skip
    return Operation.objects.get(pk=op.pk)
