"""The console proxy as a browser meets it: `manage.py consoleproxy` in its own process (on the
test database and Redis), a real websocket client, and the real guest's VNC behind it. Each
refusal differs from the happy path in one thing only, and must be logged without the token."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect as ws_connect

from accounts.models import Grant
from api.models import ApiToken
from audit.models import AuditEntry
from console import tickets
from console.models import ConsoleSession
from console.proxy import scrub
from hosts.models import Host
from instances.models import Instance, InstanceState
from tests.conftest import QEMU_URI
from tests.support.consoleproxy import ProxyProcess
from tests.support.rfb import VNC_AUTH, Rfb
from tests.support.waiting import wait_until
from virt.consoles import admit, graphics_port

pytestmark = [pytest.mark.qemu, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "http://console.test:8000"


@pytest.fixture(scope="module")
def proxy(django_db_setup, tmp_path_factory):
    process = ProxyProcess(tmp_path_factory.mktemp("consoleproxy") / "proxy.log", origins=ORIGIN).start()
    yield process
    process.stop()


@pytest.fixture
def guest_instance(transactional_db, booted_guest):
    """The session's booted guest as an instance of the real host."""
    host = Host.objects.create(name="this machine", uri=QEMU_URI)
    return Instance.objects.create(
        host=host, uuid=booted_guest.domain.UUIDString(), name=booted_guest.name, state=InstanceState.RUNNING
    )


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def connect(url: str, *, cookie: str | None, origin: str | None = ORIGIN, bearer: str = ""):
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"} if cookie else {}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return ws_connect(url, origin=origin, additional_headers=headers, proxy=None, compression=None, open_timeout=10)


def assert_refused(proxy: ProxyProcess, url: str, token: str, *, reason: str, cookie, origin=ORIGIN,
                   bearer: str = "") -> None:  # fmt: skip
    """The websocket is refused (403), the proxy logs why, never the token, and records no session."""
    mark = proxy.mark()
    with pytest.raises(InvalidStatus) as refused:
        connect(url, cookie=cookie, origin=origin, bearer=bearer).close()
    assert refused.value.response.status_code == 403
    logged = proxy.wait_log(mark, "console connection from 127.0.0.1 refused")
    assert reason in logged
    assert token not in proxy.log()
    assert not ConsoleSession.objects.exists()


def wait_ended(session_filter: dict, timeout: float = 10) -> ConsoleSession:
    ended = ConsoleSession.objects.filter(**session_filter, ended__isnull=False)
    return wait_until(ended.first, timeout=timeout, what="an ended console session")


def test_vnc_through_proxy_reaches_the_guest_and_is_recorded(proxy, guest_instance, operator, settings):
    settings.CONSOLE_PROXY_URL = proxy.url
    client = Client()
    client.force_login(operator)
    ticket = client.post(reverse("console-ticket", args=[guest_instance.pk, "vnc"])).json()
    url = ticket["url"]
    mark = proxy.mark()
    with connect(url, cookie=client.cookies[settings.SESSION_COOKIE_NAME].value) as websocket:
        rfb = Rfb.over(websocket)
        assert rfb.security_types() == [VNC_AUTH]  # the guest asks for a password...
        assert rfb.authenticate(ticket["password"]) == (True, "")  # ...which the ticket's page has
        assert ConsoleSession.objects.filter(ended__isnull=True).count() == 1
    session = wait_ended({"instance": guest_instance})
    recorded = (session.user, session.instance_name, session.kind, session.client)
    assert recorded == (operator, guest_instance.name, "vnc", "127.0.0.1")
    assert session.started <= session.ended and "closed by the browser" in session.end_reason
    assert "console of" in proxy.wait_log(mark, "closed: ")
    assert url.split("token=")[1] not in proxy.log()


def test_the_guest_port_refuses_a_plain_vnc_client_and_an_expired_password(guest_instance, qemu_conn):
    """Whoever reaches the host's console address directly, without the proxy: no security type
    None, a guessed password refused, and the password a ticket set stops working within seconds."""
    uuid = str(guest_instance.uuid)
    port = graphics_port(qemu_conn, uuid, "vnc")
    plain = Rfb.direct("127.0.0.1", port)
    assert plain.security_types() == [VNC_AUTH]
    assert plain.try_none()[0] is False
    guess = Rfb.direct("127.0.0.1", port)
    guess.security_types()
    assert guess.authenticate("guessed!")[0] is False

    assert admit(qemu_conn, uuid, "vnc", "s3cret-1", valid_for=5) == port  # what the proxy does for a ticket
    fresh = Rfb.direct("127.0.0.1", port)
    fresh.security_types()
    assert fresh.authenticate("s3cret-1") == (True, "")

    def refused_now() -> bool:
        late = Rfb.direct("127.0.0.1", port)
        late.security_types()
        return not late.authenticate("s3cret-1")[0]

    wait_until(refused_now, timeout=20, interval=1, what="the ticket's password expired")


def test_session_open_when_the_proxy_stops_is_closed_with_that_reason(guest_instance, operator, tmp_path):
    stopping = ProxyProcess(tmp_path / "proxy.log", origins=ORIGIN).start()
    token = tickets.issue(user_id=operator.pk, instance_id=guest_instance.pk, kind="vnc")
    with connect(f"{stopping.url}vnc?token={token}", cookie=session_cookie(operator)) as websocket:
        assert websocket.recv(timeout=10).startswith(b"RFB")
        stopping.stop()
        session = wait_ended({"instance": guest_instance})
    assert session.end_reason == "console proxy stopped"


@pytest.fixture
def watching_proxy(tmp_path):
    """A proxy that checks every second whether each open console may stay open."""
    watching = ProxyProcess(tmp_path / "proxy.log", origins=ORIGIN, heartbeat=1).start()
    yield watching
    watching.stop()


def closed_on_withdrawal(websocket, withdraw, instance) -> ConsoleSession:
    """The open console's session once `withdraw()` took its access away: the proxy closed it (4403)."""
    assert websocket.recv(timeout=10).startswith(b"RFB")
    withdraw()
    session = wait_ended({"instance": instance})
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            websocket.recv(timeout=10)
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "access withdrawn")
    assert session.end_reason == "access withdrawn (4403)"
    return session


def test_session_is_closed_when_its_access_is_withdrawn(guest_instance, operator, watching_proxy):
    token = tickets.issue(user_id=operator.pk, instance_id=guest_instance.pk, kind="vnc")
    with connect(f"{watching_proxy.url}vnc?token={token}", cookie=session_cookie(operator)) as websocket:
        closed_on_withdrawal(websocket, lambda: Grant.objects.filter(user=operator).delete(), guest_instance)
    refusal = AuditEntry.objects.get(action="access_denied")
    assert (
        refusal.detail
        == f"console instance {guest_instance.pk} (no longer allowed to open this console) (console proxy)"
    )


def api_ticket(secret: str, instance) -> dict:
    """Console tickets asked for through the API with this token."""
    answer = Client().post(reverse("api-console-ticket", args=[instance.pk, "vnc"]), {},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")  # fmt: skip
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_an_api_tokens_ticket_opens_the_console_with_that_token_and_no_browser(proxy, guest_instance, operator,
                                                                               settings):  # fmt: skip
    settings.CONSOLE_PROXY_URL = proxy.url
    _token, secret = ApiToken.issue(user=operator, name="vnc-recorder")
    ticket = api_ticket(secret, guest_instance)
    with connect(ticket["url"], cookie=None, origin=None, bearer=secret) as websocket:  # a script: no Origin
        rfb = Rfb.over(websocket)
        assert rfb.security_types() == [VNC_AUTH]
        assert rfb.authenticate(ticket["password"]) == (True, "")
    session = wait_ended({"instance": guest_instance})
    assert (session.user, session.kind) == (operator, "vnc")


def test_an_api_tokens_ticket_is_refused_without_that_token(proxy, guest_instance, operator, settings):
    settings.CONSOLE_PROXY_URL = proxy.url
    _token, secret = ApiToken.issue(user=operator, name="vnc-recorder")
    _other, other = ApiToken.issue(user=operator, name="another")
    cookie, reason = session_cookie(operator), "no Authorization with the API token of the ticket"
    for bearer, with_cookie in (("", cookie), (other, None), (secret.replace("_", "-"), None)):
        url = api_ticket(secret, guest_instance)["url"]
        assert_refused(proxy, url, url.split("token=")[1], reason=reason, cookie=with_cookie, bearer=bearer)
    session_ticket = tickets.issue(user_id=operator.pk, instance_id=guest_instance.pk, kind="vnc")
    assert_refused(proxy, f"{proxy.url}vnc?token={session_ticket}", session_ticket, reason="no signed-in session",
                   cookie=None, bearer=secret)  # a page's ticket wants the page's session  # fmt: skip


def test_a_console_opened_with_an_api_token_is_closed_when_the_token_is_revoked(guest_instance, operator,
                                                                                 watching_proxy, settings):  # fmt: skip
    settings.CONSOLE_PROXY_URL = watching_proxy.url
    token, secret = ApiToken.issue(user=operator, name="vnc-recorder")
    with connect(api_ticket(secret, guest_instance)["url"], cookie=None, origin=None, bearer=secret) as websocket:
        closed_on_withdrawal(websocket, lambda: ApiToken.objects.filter(pk=token.pk).update(revoked=timezone.now()),
                             guest_instance)  # fmt: skip
    assert "its API token was revoked" in AuditEntry.objects.get(action="access_denied").detail


def test_replayed_ticket_is_refused(proxy, guest_instance, operator):
    token = tickets.issue(user_id=operator.pk, instance_id=guest_instance.pk, kind="vnc")
    cookie = session_cookie(operator)
    with connect(f"{proxy.url}vnc?token={token}", cookie=cookie) as websocket:
        assert websocket.recv(timeout=10).startswith(b"RFB")
    wait_ended({"instance": guest_instance})
    ConsoleSession.objects.all().delete()
    assert_refused(proxy, f"{proxy.url}vnc?token={token}", token, reason="already used", cookie=cookie)


def test_expired_ticket_is_refused(proxy, guest_instance, operator, monkeypatch):
    monkeypatch.setattr(tickets, "TICKET_TTL", 1)
    token = tickets.issue(user_id=operator.pk, instance_id=guest_instance.pk, kind="vnc")
    time.sleep(1.3)
    url = f"{proxy.url}vnc?token={token}"
    assert_refused(proxy, url, token, reason="expired", cookie=session_cookie(operator))


def test_session_of_another_user_is_refused(proxy, guest_instance, operator, admin_user):
    token = tickets.issue(user_id=operator.pk, instance_id=guest_instance.pk, kind="vnc")
    url = f"{proxy.url}vnc?token={token}"
    assert_refused(proxy, url, token, reason="does not match the ticket's user", cookie=session_cookie(admin_user))


def test_no_session_cookie_is_refused(proxy, guest_instance, operator):
    token = tickets.issue(user_id=operator.pk, instance_id=guest_instance.pk, kind="vnc")
    assert_refused(proxy, f"{proxy.url}vnc?token={token}", token, reason="no signed-in session", cookie=None)


def test_signed_out_session_is_refused(proxy, guest_instance, operator):
    token = tickets.issue(user_id=operator.pk, instance_id=guest_instance.pk, kind="vnc")
    cookie = session_cookie(operator)
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    client.post(reverse("logout"))
    assert_refused(proxy, f"{proxy.url}vnc?token={token}", token, reason="no signed-in session", cookie=cookie)


def test_ticket_for_another_kind_is_refused(proxy, guest_instance, operator):
    token = tickets.issue(user_id=operator.pk, instance_id=guest_instance.pk, kind="vnc")
    url = f"{proxy.url}spice?token={token}"
    assert_refused(proxy, url, token, reason="issued for vnc, used for spice", cookie=session_cookie(operator))


@pytest.mark.parametrize("origin", ["http://evil.test", "http://console.test:8001", None])
def test_wrong_origin_is_refused(proxy, guest_instance, operator, origin):
    token = tickets.issue(user_id=operator.pk, instance_id=guest_instance.pk, kind="vnc")
    url = f"{proxy.url}vnc?token={token}"
    assert_refused(proxy, url, token, reason="wrong Origin", cookie=session_cookie(operator), origin=origin)
    assert tickets.take(token, kind="vnc"), "a refused Origin leaves the ticket to its browser"


def test_guest_not_running_is_refused(proxy, guest_instance, make_guest, operator):
    stopped = make_guest(start=False)
    instance = Instance.objects.create(
        host=guest_instance.host, uuid=stopped.domain.UUIDString(), name=stopped.name, state=InstanceState.RUNNING
    )  # the inventory has not noticed yet: the proxy asks libvirt
    token = tickets.issue(user_id=operator.pk, instance_id=instance.pk, kind="vnc")
    url = f"{proxy.url}vnc?token={token}"
    assert_refused(proxy, url, token, reason="is not running", cookie=session_cookie(operator))


def test_guest_without_spice_is_refused(proxy, guest_instance, operator):
    token = tickets.issue(user_id=operator.pk, instance_id=guest_instance.pk, kind="spice")
    url = f"{proxy.url}spice?token={token}"
    assert_refused(proxy, url, token, reason="has no SPICE console", cookie=session_cookie(operator))


def test_unknown_path_or_missing_token_is_refused(proxy, guest_instance, operator):
    cookie = session_cookie(operator)
    token = tickets.issue(user_id=operator.pk, instance_id=guest_instance.pk, kind="vnc")
    assert_refused(proxy, f"{proxy.url}serial?token={token}", token, reason="unknown console kind", cookie=cookie)
    assert_refused(proxy, f"{proxy.url}vnc", token, reason="no valid vnc ticket", cookie=cookie)


def test_proxy_that_cannot_listen_fails_loudly():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"cannot listen on 127.0.0.1:{port}"):
            call_command("consoleproxy", host="127.0.0.1", port=port)


def test_tokens_are_masked_in_log_text():
    assert scrub("GET /vnc?token=abcdefgh123&x=1 HTTP/1.1") == "GET /vnc?token=abcd…&x=1 HTTP/1.1"
    assert scrub("Path: '/spice?token=zyxwvut'") == "Path: '/spice?token=zyxw…'"


def test_allowed_origins_default_to_allowed_hosts_with_and_without_web_port():
    code = "from django.conf import settings; print(' '.join(settings.CONSOLE_ALLOWED_ORIGINS))"
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings", "ALLOWED_HOSTS": "a.example,.wild,*",
                        "WEB_PORT": "8443", "CSRF_TRUSTED_ORIGINS": "https://b.example"}  # fmt: skip
    env.pop("CONSOLE_ALLOWED_ORIGINS", None)
    out = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    assert out == ["http://a.example", "http://a.example:8443", "https://a.example", "https://a.example:8443",
                   "https://b.example"]  # fmt: skip
