"""The permission matrix: every route of the URLconf and every websocket route, for every member of the cast, answers as
this table says. A route missing from the table fails the suite, so a new view cannot ship
without someone deciding (and the test proving) who may use it.

The cast: admin (superuser); operator (operator role on host A only); ungranted (an operator's
permissions, no grant); viewer (viewer role on host A); outsider (no permissions, no grant);
anonymous. Objects on host A are granted to operator and viewer; the same object kinds on host B
are granted to nobody but admin ("other" columns: guessing ids does not help)."""

import json

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from accounts.models import Grant, Role
from config.websocket_routes import websocket_urlpatterns
from hosts.models import Host, HostStatus
from instances.models import Instance, InstanceState
from jobs.models import Operation, OperationStatus
from storage import transfers
from tests.conftest import CAST, PASSWORD, _user_with
from tests.support.permission_rows import (
    ADMIN_ONLY,
    API_ROUTES,
    CAST_ORDER,
    CHANGE,
    CHANGE_PAGE,
    CONSOLE,
    LIST,
    OTHER_CHANGE,
    OTHER_VIEW,
    POST_ONLY,
    SNAPSHOT_DETAILS,
    VIEW,
    _disk,
    _host,
    _instance,
    _net,
    _nic,
    _pool,
    _snapshot,
)  # fmt: skip

pytestmark = pytest.mark.django_db
# route name -> list of (method, kwargs(world), expected per cast, data)
ROUTES = {
    **API_ROUTES,
    "instance-charts": [("get", _instance("a"), VIEW), ("get", _instance("b"), OTHER_VIEW)],
    "host-charts": [("get", _host("a"), VIEW), ("get", _host("b"), OTHER_VIEW)],
    "home": [("get", None, (200, 200, 200, 200, 200, 302))],
    "admin-login": [("get", None, (302,) * 6)],  # the admin's login is ours (throttled)
    "password_change": [("get", None, (200, 200, 200, 200, 200, 302))],
    "password_change_done": [("get", None, (200, 200, 200, 200, 200, 302))],
    "audit-list": [("get", None, ADMIN_ONLY)],
    "login": [("get", None, (200,) * 6)],
    "logout": [("get", None, (405,) * 6)],
    "host-list": [("get", None, LIST)],
    "host-add": [("get", None, (200, 200, 200, 403, 403, 302))],
    "host-detail": [("get", _host("a"), VIEW), ("get", _host("b"), OTHER_VIEW)],
    "host-edit": [("get", _host("a"), CHANGE_PAGE), ("get", _host("b"), OTHER_CHANGE)],
    "host-delete": [("get", _host("a"), (200, 403, 403, 403, 403, 302))],
    "host-check": [("get", _host("a"), POST_ONLY), ("post", _host("a"), CHANGE)],
    "host-maintenance-start": [
        ("get", _host("a", "host_pk"), CHANGE_PAGE),
        ("get", _host("b", "host_pk"), OTHER_CHANGE),
        ("post", _host("a", "host_pk"), CHANGE),
        ("post", _host("b", "host_pk"), (302, 404, 404, 403, 403, 302)),
    ],
    "host-evacuate": [  # host A answers: the page sends everyone allowed back to the host (302)
        ("get", _host("a", "host_pk"), CHANGE),
        ("get", _host("b", "host_pk"), (302, 404, 404, 403, 403, 302)),
        ("post", _host("a", "host_pk"), CHANGE),
        ("post", _host("b", "host_pk"), (302, 404, 404, 403, 403, 302)),
    ],
    "host-maintenance-end": [
        ("get", _host("a", "host_pk"), POST_ONLY),
        ("post", _host("a", "host_pk"), CHANGE),
        ("post", _host("b", "host_pk"), (302, 404, 404, 403, 403, 302)),
    ],
    "host-probe-kvm": [
        ("get", _host("a", "host_pk"), POST_ONLY),
        ("post", _host("a", "host_pk"), CHANGE),
        ("post", _host("b", "host_pk"), (302, 404, 404, 403, 403, 302)),
    ],
    "storage-pools": [
        ("get", _host("a", "host_pk"), VIEW),
        ("get", _host("b", "host_pk"), OTHER_VIEW),
    ],
    "storage-pool-define": [("get", _host("a", "host_pk"), CHANGE_PAGE)],
    "storage-pool-start": [("get", _pool("a"), POST_ONLY), ("post", _pool("a"), CHANGE)],
    "storage-pool-stop": [("get", _pool("a"), POST_ONLY), ("post", _pool("a"), CHANGE)],
    "storage-pool-delete": [("get", _pool("a"), CHANGE_PAGE)],
    "storage-volume-create": [("get", _pool("a"), CHANGE_PAGE)],
    "storage-volume-upload": [("get", _pool("a"), CHANGE_PAGE)],
    "storage-volume-resize": [("get", _pool("a", volume="v1"), CHANGE_PAGE)],
    "storage-volume-delete": [("get", _pool("a", volume="v1"), CHANGE_PAGE)],
    "storage-volume-download": [("get", _pool("a", volume="v1"), POST_ONLY), ("post", _pool("a", volume="v1"), CHANGE)],
    "storage-download": [
        ("get", lambda w: {"host_pk": w["host_a"].pk, "op_pk": w["download"].pk}, (403, 200, 404, 403, 403, 302))
    ],  # only who asked for it
    "network-list": [("get", _host("a", "host_pk"), VIEW)],
    "network-create": [("get", _host("a", "host_pk"), CHANGE_PAGE)],
    "network-start": [("post", _net("a", "default"), CHANGE)],
    "network-stop": [("post", _net("a", "default"), CHANGE)],
    "network-autostart": [("post", _net("a", "default"), CHANGE)],
    "network-delete": [("get", _net("a", "default"), CHANGE_PAGE)],
    "nwfilter-list": [("get", _host("a", "host_pk"), VIEW)],
    "nwfilter-define": [("get", _host("a", "host_pk"), CHANGE_PAGE)],
    "nwfilter-undefine": [("get", _net("a", "f1"), CHANGE_PAGE)],
    "instance-list": [("get", None, LIST)],
    "instance-create": [("get", None, (200, 200, 200, 403, 403, 302))],
    "image-list": [("get", None, (200, 200, 200, 403, 403, 302))],  # those who may make instances from them
    "image-upload": [("get", None, ADMIN_ONLY), ("post", None, ADMIN_ONLY)],
    "image-import": [("get", None, ADMIN_ONLY), ("post", None, ADMIN_ONLY)],
    "instance-detail": [("get", _instance("a"), VIEW), ("get", _instance("b"), OTHER_VIEW)],
    "instance-action": [
        ("get", lambda w: {"pk": w["instance_a"].pk, "name": "stop"}, CHANGE_PAGE),
        ("post", lambda w: {"pk": w["instance_a"].pk, "name": "pause"}, CHANGE),
        ("post", lambda w: {"pk": w["instance_b"].pk, "name": "pause"}, (302, 404, 404, 403, 403, 302)),
        ("post", lambda w: {"pk": w["instance_a"].pk, "name": "delete"}, (302, 403, 403, 403, 403, 302)),
    ],
    "disk-attach": [("get", _instance("a"), CHANGE_PAGE), ("get", _instance("b"), OTHER_CHANGE)],
    "disk-detach": [("get", _disk("a", "vda"), CHANGE_PAGE), ("post", _disk("a", "vda"), CHANGE)],
    "disk-grow": [("get", _disk("a", "vda"), CHANGE_PAGE)],
    "disk-swap": [("get", _disk("a", "vda"), CHANGE_PAGE), ("get", _disk("b", "vda"), OTHER_CHANGE)],
    "disk-media": [("get", _disk("a", "hdc"), CHANGE_PAGE)],
    "snapshot-create": [("get", _instance("a"), CHANGE_PAGE), ("get", _instance("b"), OTHER_CHANGE)],
    "snapshot-image": [("get", _instance("a"), CHANGE_PAGE)],
    "snapshot-revert": [("get", _snapshot("a"), CHANGE_PAGE), ("post", _snapshot("a"), CHANGE)],
    "snapshot-delete": [("get", _snapshot("a"), CHANGE_PAGE), ("post", _snapshot("a"), CHANGE)],
    "disk-snapshot": [("get", _disk("a", "vda"), CHANGE_PAGE)],
    "disk-commit": [("get", _disk("a", "vda"), CHANGE_PAGE), ("post", _disk("a", "vda"), CHANGE)],
    "instance-set-password": [
        ("get", _instance("a"), CHANGE_PAGE),
        ("get", _instance("b"), OTHER_CHANGE),
        ("post", _instance("a"), (200, 200, 404, 403, 403, 302)),  # empty: the form again, with errors
    ],
    "instance-migrate": [
        ("get", _instance("a"), CHANGE_PAGE),
        ("get", _instance("b"), OTHER_CHANGE),
        ("post", _instance("a"), (200, 200, 404, 403, 403, 302)),  # empty: the form again, with errors
        ("post", _instance("b"), OTHER_CHANGE),
    ],
    "instance-clone": [
        ("get", _instance("a"), CHANGE_PAGE),
        ("get", _instance("b"), OTHER_CHANGE),
        ("post", _instance("a"), (200, 200, 404, 403, 403, 302)),  # empty: the form again, with errors
    ],
    "instance-grow": [
        ("get", _instance("a"), CHANGE_PAGE),
        ("get", _instance("b"), OTHER_CHANGE),
        ("post", _instance("a"), (200, 200, 404, 403, 403, 302)),  # empty: the form again, with errors
    ],
    "instance-resize": [
        ("get", _instance("a"), CHANGE_PAGE),
        ("get", _instance("b"), OTHER_CHANGE),
        ("post", _instance("a"), (200, 200, 404, 403, 403, 302)),  # empty: the form again, with errors
        ("post", _instance("b"), OTHER_CHANGE),
    ],
    "interface-attach": [("get", _instance("a"), CHANGE_PAGE), ("get", _instance("b"), OTHER_CHANGE)],
    "interface-detach": [("get", _nic("a"), CHANGE_PAGE), ("post", _nic("a"), CHANGE)],
    "interface-link": [
        ("get", _nic("a", state="down"), POST_ONLY),
        ("post", _nic("a", state="down"), CHANGE),
        ("post", _nic("b", state="down"), (302, 404, 404, 403, 403, 302)),
    ],
    "nic-firewall": [
        ("get", _instance("a"), CHANGE_PAGE),
        ("get", _instance("b"), OTHER_CHANGE),
        ("post", _instance("a"), (200, 200, 404, 403, 403, 302)),  # empty: the form again, with errors
    ],
    "operation-list": [("get", None, LIST)],
    "operation-detail": [
        ("get", lambda w: {"pk": w["op_a"].pk}, VIEW),
        ("get", lambda w: {"pk": w["op_b"].pk}, OTHER_VIEW),
    ],
    "operation-stop": [  # cancel or abort: the right to start it (finished here: refused with a message)
        ("get", lambda w: {"pk": w["op_a"].pk}, POST_ONLY),
        ("post", lambda w: {"pk": w["op_a"].pk}, CHANGE),
        ("post", lambda w: {"pk": w["op_b"].pk}, (302, 404, 404, 404, 403, 302)),
    ],
    "console-vnc": [("get", _instance("a"), CONSOLE), ("get", _instance("b"), OTHER_CHANGE)],
    "console-spice": [("get", _instance("a"), CONSOLE)],
    "console-serial": [("get", _instance("a"), CONSOLE)],
    "console-ticket": [
        ("get", lambda w: {"pk": w["instance_a"].pk, "kind": "vnc"}, (405, 405, 405, 405, 405, 302)),
        ("post", lambda w: {"pk": w["instance_a"].pk, "kind": "vnc"}, (200, 200, 404, 403, 403, 302)),
        ("post", lambda w: {"pk": w["instance_b"].pk, "kind": "vnc"}, OTHER_CHANGE),
    ],
    "console-log": [("get", _instance("a"), CONSOLE)],
    "console-log-fetch": [("get", _instance("a"), POST_ONLY), ("post", _instance("a"), CHANGE)],
    "console-log-download": [
        ("get", lambda w: {"pk": w["instance_a"].pk, "op_pk": w["log"].pk}, (404, 200, 404, 403, 403, 302))
    ],
    "grant-list": [("get", None, ADMIN_ONLY)],
    "grant-delete": [
        ("get", lambda w: {"pk": w["grant"].pk}, POST_ONLY),
        ("post", lambda w: {"pk": w["grant"].pk}, (302, 403, 403, 403, 403, 302)),
    ],
}


# Websocket route name -> list of (path(world), expected per cast). "open": the socket is served;
# a number: it is closed with that code (4401 not logged in, 4403 forbidden, 4404 no such object),
# or 403: the handshake itself is refused.
WS_ROUTES = {
    "ws-live": [(lambda w: "/ws/live/", ("open",) * 5 + (403,))],  # events are filtered per user
    "ws-serial": [
        (lambda w: f"/ws/instances/{w['instance_a'].pk}/serial/", ("open", "open", 4404, 4403, 4403, 4401)),
        (lambda w: f"/ws/instances/{w['instance_b'].pk}/serial/", ("open", 4404, 4404, 4403, 4403, 4401)),
    ],
}


def all_routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("admin/"):
                continue  # Django's admin checks staff and model permissions itself
            yield from all_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, prefix + str(entry.pattern)


def test_every_route_is_in_the_matrix():
    missing = sorted({name for name, _ in all_routes()} - set(ROUTES))
    assert not missing, f"routes without an entry in the permission matrix: {missing}"


def test_every_websocket_route_is_in_the_matrix():
    missing = sorted({route.name for route in websocket_urlpatterns} - set(WS_ROUTES))
    assert not missing, f"websocket routes without an entry in the permission matrix: {missing}"


DISKS = [{"target": "vda", "device": "disk", "bus": "virtio", "source": "/p/v1"},
         {"target": "hdc", "device": "cdrom", "bus": "ide", "source": ""}]  # fmt: skip


NICS = [{"mac": "52:54:00:00:00:01", "type": "network", "source": "default", "model": "virtio", "link": "up"}]
DEVICES = {"disks": DISKS, "interfaces": NICS}


@pytest.fixture
def world(db):
    host_a = Host.objects.create(name="a", uri="test:///default", status=HostStatus.UP)
    host_b = Host.objects.create(name="b", uri="test:///default?b", status=HostStatus.UP)
    inventory = {
        "pools": [{"name": "default-pool", "active": True, "autostart": True, "path": "/p", "capacity": 1,
                   "allocation": 0, "available": 1, "persistent": True,
                   "volumes": [{"name": "v1", "path": "/p/v1", "capacity": 1, "allocation": 0, "format": "raw"}]}],
        "networks": [{"name": "default", "active": True, "autostart": False, "persistent": True, "forward": "nat",
                      "bridge": "virbr0", "ips": [], "leases": []}],
        "nwfilters": [{"name": "f1", "uuid": "", "chain": "root", "rules": 0, "xml": "<filter/>"}],
    }  # fmt: skip
    Host.objects.filter(pk__in=[host_a.pk, host_b.pk]).update(inventory=inventory)
    users = {
        "admin": User.objects.create_superuser("admin", "", PASSWORD),
        "operator": _user_with("operator", CAST["operator"]),
        "ungranted": _user_with("ungranted", CAST["operator"]),
        "viewer": _user_with("viewer", CAST["viewer"]),
        "outsider": _user_with("outsider", CAST["outsider"]),
    }
    grant = Grant.objects.create(user=users["operator"], role=Role.OPERATOR, host=host_a)
    Grant.objects.create(user=users["viewer"], role=Role.VIEWER, host=host_a)
    instance_a = Instance.objects.create(
        host=host_a,
        uuid="6695eb01-f6a4-8304-79aa-97f2502e193f",
        name="ia",
        state=InstanceState.RUNNING,
        details={"graphics": [{"type": "vnc"}], **DEVICES},
    )
    instance_b = Instance.objects.create(host=host_b, uuid="6695eb01-f6a4-8304-79aa-97f2502e1940", name="ib",
                                         state=InstanceState.RUNNING, details=DEVICES)  # fmt: skip
    for instance in (instance_a, instance_b):
        Instance.objects.filter(pk=instance.pk).update(details={**instance.details, **SNAPSHOT_DETAILS})

    def op(kind, target, **fields):
        return Operation.objects.create(kind=kind, target_type=target._meta.model_name, target_id=str(target.pk),
                                        target_name=str(target), host=getattr(target, "host", target),
                                        status=OperationStatus.SUCCEEDED, **fields)  # fmt: skip

    download = op(
        "storage.volume_download",
        host_a,
        user=users["operator"],
        result={"file": transfers.save_bytes(b"data"), "filename": "v1"},
    )
    log = op("instance.console_log", instance_a, user=users["operator"],
             result={"file": transfers.save_bytes(b"log"), "bytes": 3, "size": 3})  # fmt: skip
    return {"host_a": host_a, "host_b": host_b, "instance_a": instance_a, "instance_b": instance_b,
            "op_a": op("instance.pause", instance_a, user=users["admin"]), "op_b": op("instance.pause", instance_b),
            "download": download, "log": log, "grant": grant, "users": users}  # fmt: skip


CASES = [(name, index) for name, checks in ROUTES.items() for index in range(len(checks))]


@pytest.mark.parametrize(("name", "index"), CASES, ids=[f"{name}-{index}" for name, index in CASES])
def test_route_answers_each_member_of_the_cast_as_the_matrix_says(name, index, world, settings, tmp_path):
    settings.STATE_DIR = settings.STATE_DIR  # transfer files were written before; keep the same folder
    method, kwargs, expected = ROUTES[name][index]
    url = reverse(name, kwargs=kwargs(world) if kwargs else None)
    answers = {}
    for member in CAST_ORDER:
        client = Client()
        if member != "anonymous":
            client.force_login(world["users"][member])
        json = {"content_type": "application/json"} if name.startswith("api-") else {}
        response = getattr(client, method)(url, **json)
        answers[member] = response.status_code
    assert answers == dict(zip(CAST_ORDER, expected, strict=True)), f"{method.upper()} {url}"


# The API with the admin's tokens, in TOKEN_ORDER: never more than the admin may (their session
# answers above), less when the token says so; expired and revoked ones are refused (401).
@pytest.mark.django_db(transaction=True)  # the server runs in another thread: it sees committed rows only
def test_refusals_land_in_the_audit_log(world, asgi_server):
    from audit.models import AuditEntry

    client = Client()
    client.force_login(world["users"]["operator"])
    assert client.get(reverse("instance-detail", args=[world["instance_b"].pk])).status_code == 404  # guessed id
    client.force_login(world["users"]["viewer"])
    assert client.post(reverse("instance-action", args=[world["instance_a"].pk, "pause"])).status_code == 403
    serial_b = f"/ws/instances/{world['instance_b'].pk}/serial/"
    assert _websocket_answer(asgi_server, serial_b, _cookie(world["users"]["operator"])) == 4404
    refusals = AuditEntry.objects.filter(action="access_denied").order_by("pk")
    assert [entry.username for entry in refusals] == ["operator", "viewer", "operator"]
    assert {entry.outcome for entry in refusals} == {"refused"}
    assert "no grant" in refusals[0].detail and "missing permission" in refusals[1].detail
    assert refusals[2].detail == f"console instance {world['instance_b'].pk} (no grant) (websocket {serial_b})"


WS_CASES = [(name, index) for name, checks in WS_ROUTES.items() for index in range(len(checks))]


def _websocket_answer(server, path: str, cookie: str) -> str | int:
    """Connect to the real server as a page would: "open", the close code, or the handshake's refusal."""
    headers = {"Origin": server.url} | ({"Cookie": cookie} if cookie else {})
    try:
        with connect(server.url.replace("http://", "ws://") + path, additional_headers=headers, open_timeout=10) as ws:
            try:
                status = json.loads(ws.recv(timeout=10))
            except ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else 1006
            return status["code"] if status.get("state") == "closed" else "open"
    except InvalidStatus as refused:
        return refused.response.status_code


def _cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.mark.django_db(transaction=True)  # as above
@pytest.mark.parametrize(("name", "index"), WS_CASES, ids=[f"{name}-{index}" for name, index in WS_CASES])
def test_websocket_route_answers_each_member_of_the_cast_as_the_matrix_says(name, index, world, asgi_server):
    path, expected = WS_ROUTES[name][index]
    cookies = {member: "" if member == "anonymous" else _cookie(world["users"][member]) for member in CAST_ORDER}
    answers = {member: _websocket_answer(asgi_server, path(world), cookies[member]) for member in CAST_ORDER}
    assert answers == dict(zip(CAST_ORDER, expected, strict=True)), path(world)
