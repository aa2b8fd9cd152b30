"""The serial console websocket: the guest's console stream ↔ xterm.js in the page.

Guest output goes to the page as binary frames, keystrokes come back as binary frames; JSON text
frames carry status (`{"type": "status", "state", "message"}`), notices and, from the page,
`{"type": "resize", "rows", "cols"}` and `{"type": "stty"}` (type `stty rows R cols C` into the
guest, only when the user asks: a serial line has no size and the guest may not run a shell).

Policy: the newest session takes the console over (VIR_DOMAIN_CONSOLE_FORCE) and every other
session of that instance is told who took it and stops; the taker is told whom it took it from.
A page reconnecting by itself after a lost connection asks with `?takeover=0` and is refused
(BUSY) rather than taking the console back. When the stream ends because the guest stopped or
QEMU restarted (reboot by destroy+start, snapshot revert, restore), the consumer waits for the
guest to run again and reopens the console, for as long as the websocket stays open."""

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404

from audit.services import record_denied
from console.sessions import close_session, open_session
from hosts.connections import pool
from instances.access import get_instance_for_user
from instances.models import Instance
from live.broadcast import ACCESS_GROUP
from virt.errors import HostUnreachable, InvalidOperation, NotFound, VirtError
from virt.serial import ConsoleBusy, SerialConsole, run_id

log = logging.getLogger("console.serial")

POLL = 0.5  # seconds between state polls while the guest is off
HANDOVER_WAIT = 5.0  # seconds a taking session waits for the older one to let the console go
RETRY = 2.0  # seconds between tries while the host does not answer
GRACE = 1.0  # pause after a stream ends: a takeover message arrives, a stopping QEMU goes

# Close codes the page explains (static/js/serial.js).
NOT_LOGGED_IN, FORBIDDEN, NOT_FOUND, TAKEN_OVER, BUSY = 4401, 4403, 4404, 4409, 4423


def group_name(instance_pk: int) -> str:
    return f"serial-{instance_pk}"


def _instance_for(scope, pk: int, *, fresh: bool = False):
    """The same access rule as the page (instances.access, its refusals audited), for the websocket;
    `fresh`: with the user read again (permissions, account state), not as they were at connect."""
    client = (scope.get("client") or [""])[0] or ""
    request = SimpleNamespace(user=scope["user"], path=scope["path"], META={"REMOTE_ADDR": client})
    if fresh:
        user = get_user_model().objects.filter(pk=request.user.pk, is_active=True).first()
        if user is None:
            record_denied(request, f"console instance {pk} (account deactivated or removed)")
            raise PermissionDenied("the account is deactivated or removed")
        request.user = user
    return get_instance_for_user(request, pk, "console")


class SerialConsumer(AsyncWebsocketConsumer):
    session_id = None
    console = None
    task = None
    closing = False

    async def connect(self):
        await self.accept()  # accepted first, so that the close code (and why) reaches the page
        user = self.scope["user"]
        if not user.is_authenticated:
            return await self.refuse(NOT_LOGGED_IN, "Your session has ended: log in again to open this console.")
        pk = self.scope["url_route"]["kwargs"]["pk"]
        try:
            self.instance = await database_sync_to_async(_instance_for)(self.scope, pk)
        except Http404:
            return await self.refuse(NOT_FOUND, "This instance does not exist (any more).")
        except PermissionDenied:
            return await self.refuse(FORBIDDEN, "You may not open the console of this instance.")
        self.username = user.get_username()
        await self.channel_layer.group_add(ACCESS_GROUP, self.channel_name)  # access_changed() checks again
        self.group = group_name(pk)
        self.handed_over = threading.Event()  # the older session of this console let it go
        self.size: tuple[int, int] | None = None
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"serial-writer-{pk}")
        client = (self.scope.get("client") or [""])[0] or ""
        self.session_id = await database_sync_to_async(open_session)(
            user_id=user.pk, instance=self.instance, kind="serial", client=client
        )
        query = parse_qs(self.scope.get("query_string", b"").decode())
        force = query.get("takeover", ["1"])[0] != "0"
        if force:  # the newest session wins, whether the guest runs yet or not: the others are told
            takeover = {"type": "serial.takeover", "channel": self.channel_name, "username": self.username}
            await self.channel_layer.group_send(self.group, takeover)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.task = asyncio.create_task(self.bridge(force=force))

    async def dispatch(self, message):
        """A page that went away while a handler sent to it must not end this consumer: its
        websocket.disconnect follows and ends the session (an exception here would lose it)."""
        try:
            await super().dispatch(message)
        except OSError:  # the server's ClientDisconnected
            log.debug("serial console page of instance %s went away", getattr(self, "instance", None))

    async def disconnect(self, code):
        if self.session_id is None:
            return
        await self.end(f"websocket closed ({code})")
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.channel_layer.group_discard(ACCESS_GROUP, self.channel_name)
        self.writer.shutdown(wait=False)

    # --- the bridge ------------------------------------------------------------------------

    async def bridge(self, *, force: bool):
        """Open the console whenever the guest runs and forward its output until the stream ends."""
        had_console, last_id = False, None
        try:
            while not self.closing:
                await self.wait_until_running()
                if self.closing:  # it was deleted meanwhile
                    return
                try:
                    await asyncio.to_thread(self.open_console, force=force)
                except ConsoleBusy:
                    if had_console:  # ours until someone forced it open without going through us
                        return await self.taken_over("a client outside this web console")
                    return await self.refuse(
                        BUSY,
                        "Another session holds this console (perhaps your own, from before the connection dropped).",
                        reason="refused: busy",
                    )
                except (InvalidOperation, NotFound):  # it is stopping, or stopped again meanwhile
                    await asyncio.sleep(POLL)
                    continue
                except VirtError as error:
                    await self.status("error", f"{error} — retrying…")
                    await asyncio.sleep(RETRY)
                    continue
                await self.status("connected", f"Connected to the serial console of {self.instance.name}.")
                if had_console and self.console.domain_id == last_id:  # same QEMU: not a restart
                    await self.notice("The console was interrupted (another client opened it?) and reopened.")
                force, had_console, last_id = False, True, self.console.domain_id  # reopening takes nothing
                await self.pump(self.console)
                # The stream ended: QEMU stopped or restarts (reopen when it runs), or someone forced
                # the console open (our takeover message ends this task; from outside, reopening finds it busy).
                await asyncio.sleep(GRACE)
        except asyncio.CancelledError:
            raise
        except OSError:  # the page went away as we sent (the server's ClientDisconnected): disconnect() follows
            return
        except Exception:  # noqa: BLE001  (the page must hear of it; the traceback goes to the log)
            log.exception("serial console of instance %s failed", self.instance.pk)
            await self.refuse(1011, "The console failed unexpectedly; reload to try again.", reason="failed")

    def call(self, func, **kwargs):
        """Run a virt.serial read on the host's pooled connection (in a worker thread)."""
        host = self.instance.host
        try:
            return func(pool().get(host.uri, host.credentials()), str(self.instance.uuid), **kwargs)
        except HostUnreachable:
            pool().drop(host.uri)
            raise

    def open_console(self, *, force: bool) -> None:
        """Open the stream on a connection of its own (in a worker thread); one opened after the
        session ended is closed. Unforced first: forcing a console open while the daemon releases
        it has crashed libvirtd 9.0 here (a segfault after two forced opens 8 ms apart), so the
        older session of this console hands it over (it closes, then says so) and force is used
        only against a holder outside this web console (virsh console), after HANDOVER_WAIT."""
        host = self.instance.host

        def open_(force: bool) -> SerialConsole:
            return SerialConsole.open(
                host.uri,
                str(self.instance.uuid),
                force=force,
                credentials=host.credentials(),
                timeout=settings.LIBVIRT_CONNECT_TIMEOUT,
                keepalive=(settings.LIBVIRT_KEEPALIVE_INTERVAL, settings.LIBVIRT_KEEPALIVE_COUNT),
            )

        try:
            self.console = open_(False)
        except ConsoleBusy:
            if not force:
                raise
            self.console = self._open_after_handover(open_)
        if self.closing:  # end() ran meanwhile and may not have seen this console
            self.console.close()

    def _open_after_handover(self, open_) -> SerialConsole:
        """The older session said it let the console go, but the daemon may still be releasing it:
        ask again, unforced, until it is free. Forcing it then would let the daemon's late cleanup
        of the old stream drop the record of the new one (a later forced open from outside would
        not end it). Force only against a holder outside this web console (no handover came)."""
        handed = self.handed_over.wait(HANDOVER_WAIT)
        deadline = time.monotonic() + (HANDOVER_WAIT if handed else 0)
        while True:
            try:
                return open_(False)
            except ConsoleBusy:
                if time.monotonic() >= deadline or self.closing:
                    return open_(True)
                time.sleep(0.2)

    async def wait_until_running(self) -> None:
        """Poll the guest (every POLL s, in a thread) until it runs, telling the page why it waits;
        an instance deleted meanwhile ends the session (there is nothing to wait for)."""
        told = ""
        while True:
            try:
                if await asyncio.to_thread(self.call, run_id) is not None:
                    return
                state, text = "stopped", "The guest is not running — waiting for it to start…"
            except NotFound:
                state, text = "stopped", "The guest is not on its host — waiting for it to come back…"
            except VirtError as error:
                state, text = "unreachable", f"{error} — retrying…"
            if not await database_sync_to_async(Instance.objects.filter(pk=self.instance.pk).exists)():
                message = f"{self.instance.name} was deleted: this console has nothing left to show."
                return await self.refuse(NOT_FOUND, message, reason="instance deleted")
            if text != told:
                await self.status(state, text)
                told = text
            await asyncio.sleep(POLL if state == "stopped" else RETRY)

    async def pump(self, console: SerialConsole) -> None:
        """Guest output → page (handed over from libvirt's event-loop thread) until the stream ends."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        def deliver(item):
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the event loop is gone (server shutdown)
                console.close()

        console.start(deliver, lambda _reason: deliver(None))
        ended = False
        while not ended:
            chunks = [await queue.get()]
            while not queue.empty():
                chunks.append(queue.get_nowait())
            if None in chunks:
                ended, chunks = True, chunks[: chunks.index(None)]
            if chunks and not self.closing:
                await self.send(bytes_data=b"".join(chunks))

    # --- from the page -----------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if bytes_data:
            self.write(bytes_data)
            return
        try:
            message = json.loads(text_data or "")
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        if message.get("type") == "resize":
            rows, cols = message.get("rows"), message.get("cols")
            if isinstance(rows, int) and isinstance(cols, int) and 0 < rows < 1000 and 0 < cols < 1000:
                self.size = (rows, cols)
        elif message.get("type") == "stty" and self.size:
            self.write(f"stty rows {self.size[0]} cols {self.size[1]}\r".encode())

    def write(self, data: bytes) -> None:
        """Keystrokes → guest, in order, on this session's writer thread (never on the event loop)."""
        console = self.console
        if console is None or self.closing:
            return
        future = self.writer.submit(console.write, data)
        future.add_done_callback(_log_write_error)

    # --- other sessions of this console (the channel-layer group) ------------------------------

    async def serial_takeover(self, event):
        """A newer session takes the console: tell our page and stop, let the console go, then tell
        the newer session (it opens the console once we did, without forcing it)."""
        if self.closing:
            return
        console = self.console
        await self.taken_over(event["username"])
        if console is not None:
            await asyncio.to_thread(console.wait_released, HANDOVER_WAIT)
        await self.channel_layer.send(event["channel"], {"type": "serial.handed_over", "username": self.username})

    async def serial_handed_over(self, event):
        self.handed_over.set()
        await self.notice(f"You took this console over from {event['username']}.")

    # --- access -----------------------------------------------------------------------------------

    async def access_changed(self, event):
        """A grant, permission or account changed: check again; who lost the console is closed."""
        if self.closing:
            return
        try:
            await database_sync_to_async(_instance_for)(self.scope, self.instance.pk, fresh=True)
        except (Http404, PermissionDenied):
            await self.refuse(FORBIDDEN, "Your access to this console was withdrawn.", reason="access withdrawn")

    # --- endings ---------------------------------------------------------------------------------

    async def taken_over(self, by: str) -> None:
        await self.refuse(TAKEN_OVER, f"This console was taken over by {by}.", reason=f"taken over by {by}")

    async def refuse(self, code: int, message: str, *, reason: str = "") -> None:
        """Tell the page why, record the end of the session, close the websocket with `code`."""
        if self.closing:
            return
        await self.status("closed", message, code=code)
        await self.end(reason or message)
        await self.close(code=code)

    async def end(self, reason: str) -> None:
        """Stop the bridge and the stream; record the end (the first reason recorded wins)."""
        self.closing = True
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()
        if self.console is not None:
            self.console.close()  # returns at once: the stream is torn down on libvirt's event loop
        if self.session_id is not None:
            await database_sync_to_async(close_session)(self.session_id, reason=reason)

    async def status(self, state: str, message: str, **extra) -> None:
        if not self.closing:
            await self.send_json({"type": "status", "state": state, "message": message, **extra})

    async def notice(self, message: str) -> None:
        if not self.closing:
            await self.send_json({"type": "notice", "message": message})

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content))


def _log_write_error(future) -> None:
    error = future.exception()
    if error is not None:  # the stream ended under the keystroke: its end is reported anyway
        log.debug("serial write failed: %s", error)
