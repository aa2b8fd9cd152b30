"""A plain VNC (RFB 3.8) client, enough to see what a guest's console asks of whoever connects:
the security types it offers and whether VNC authentication with a password succeeds. It talks
over a TCP socket (the guest's port, directly) or a websocket (through the console proxy)."""

import socket
import struct

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

NONE, VNC_AUTH = 1, 2  # security types


def _des_key(password: str) -> bytes:
    """VNC's DES key: the password's first 8 bytes (zero padded), each byte's bits reversed."""
    raw = password.encode()[:8].ljust(8, b"\0")
    return bytes(int(f"{byte:08b}"[::-1], 2) for byte in raw)


def vnc_response(password: str, challenge: bytes) -> bytes:
    key = _des_key(password)
    encryptor = Cipher(TripleDES(key * 3), modes.ECB()).encryptor()  # noqa: S305 (VNC's scheme; 3 equal keys: DES)
    return encryptor.update(challenge) + encryptor.finalize()


class Rfb:
    """The handshake up to the security result, over `send(bytes)` / `recv() -> bytes`."""

    def __init__(self, send, recv):
        self._send, self._recv, self._buffer = send, recv, b""

    @classmethod
    def direct(cls, host: str, port: int) -> "Rfb":
        sock = socket.create_connection((host, port), timeout=10)
        return cls(sock.sendall, lambda: sock.recv(4096))

    @classmethod
    def over(cls, websocket) -> "Rfb":
        return cls(websocket.send, lambda: websocket.recv(timeout=10))

    def read(self, count: int) -> bytes:
        while len(self._buffer) < count:
            chunk = self._recv()
            if not chunk:
                raise ConnectionError(f"closed after {self._buffer!r}")
            self._buffer += chunk
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def security_types(self) -> list[int]:
        """Exchange versions; the security types the server offers."""
        version = self.read(12)
        assert version.startswith(b"RFB 003."), version
        self._send(b"RFB 003.008\n")
        (count,) = struct.unpack("B", self.read(1))
        if count == 0:  # refused outright, with a reason
            (length,) = struct.unpack(">I", self.read(4))
            raise ConnectionError(self.read(length).decode(errors="replace"))
        return list(self.read(count))

    def authenticate(self, password: str) -> tuple[bool, str]:
        """VNC authentication: (accepted, the server's reason when not)."""
        self._send(bytes([VNC_AUTH]))
        self._send(vnc_response(password, self.read(16)))
        (result,) = struct.unpack(">I", self.read(4))
        if result == 0:
            return True, ""
        try:
            (length,) = struct.unpack(">I", self.read(4))
            return False, self.read(length).decode(errors="replace")
        except ConnectionError:
            return False, ""

    def try_none(self) -> tuple[bool, str]:
        """Ask for security type None (no password), as a plain client would."""
        self._send(bytes([NONE]))
        try:
            (result,) = struct.unpack(">I", self.read(4))
        except (ConnectionError, OSError) as error:
            return False, str(error)
        return result == 0, ""
