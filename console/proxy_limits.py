"""What a client that has not shown a ticket yet can hold of the console proxy: a deadline for its
request line and headers, and caps on the handler processes per client address and in all.

websockify forks one process per connection; the parent cannot be hooked before it forks, so each
child checks in first: it takes a slot in a table in shared memory (inherited from the parent),
where the slots of processes that are gone are freed, and exits at once when a cap is reached."""

import hashlib
import multiprocessing
import os
import signal

from websockify.websockifyserver import WebSockifyServer


def _address_key(address: str) -> int:
    return int.from_bytes(hashlib.blake2b(address.encode(), digest_size=7).digest(), "big")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Slots:
    """The handler processes alive now: (pid, client address key) in shared memory."""

    def __init__(self, size: int):
        self.size = size
        self._pids = multiprocessing.Array("q", size)  # with its own (shared) lock
        self._addresses = multiprocessing.Array("q", size, lock=False)

    def take(self, address: str, *, per_address: int) -> str:
        """Take a slot for this process; why not ("" when taken)."""
        key, free, total, same = _address_key(address), None, 0, 0
        with self._pids.get_lock():
            for index in range(self.size):
                pid = self._pids[index]
                if pid and not _alive(pid):
                    self._pids[index] = pid = 0
                if not pid:
                    free = index if free is None else free
                    continue
                total += 1
                same += self._addresses[index] == key
            if same >= per_address:
                return f"{same} connections from this address already (CONSOLE_PROXY_MAX_PER_ADDRESS)"
            if free is None:
                return f"{total} connections already (CONSOLE_PROXY_MAX_CONNECTIONS)"
            self._pids[free], self._addresses[free] = os.getpid(), key
        return ""

    def release(self) -> None:
        with self._pids.get_lock():
            for index in range(self.size):
                if self._pids[index] == os.getpid():
                    self._pids[index] = 0


def start_deadline(seconds: int) -> None:
    """In a handler process: end the connection when its request is not in within `seconds`."""

    def expired(signum, frame):
        raise WebSockifyServer.EClose(f"request line and headers not received within {seconds} s")

    signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)


def clear_deadline() -> None:
    signal.alarm(0)
