"""The permission matrix's vocabulary (tests/test_permission_matrix.py, tests/test_token_matrix.py):
the cast's order, the answers each kind of route gives it, helpers naming the world's objects, and
the rows of the API's routes (the pages' rows stay with the matrix)."""

CAST_ORDER = ("admin", "operator", "ungranted", "viewer", "outsider", "anonymous")

# Answers per cast member, in CAST_ORDER. "R" = redirect (302), "F" = form shown again (200).
LIST = (200, 200, 200, 200, 403, 302)  # lists are filtered to what the user sees
VIEW = (200, 200, 404, 200, 403, 302)  # an object page on host A
CHANGE_PAGE = (200, 200, 404, 403, 403, 302)  # a form or confirmation for a change on host A
CHANGE = (302, 302, 404, 403, 403, 302)  # the POST of a change on host A (queued or refused: redirect)
CONSOLE = (200, 200, 404, 403, 403, 302)
ADMIN_ONLY = (200, 403, 403, 403, 403, 302)
POST_ONLY = (405,) * 6
# On host B (granted to nobody): the permission is checked first (403), then the grant (404).
OTHER_VIEW = (200, 404, 404, 404, 403, 302)
OTHER_CHANGE = (200, 404, 404, 403, 403, 302)
# The API (JSON in and out): anonymous gets 401; a queued change 202, here 503 (no worker in this test).
API_LIST = (200, 200, 200, 200, 403, 401)
API_VIEW = (200, 200, 404, 200, 403, 401)
API_OTHER_VIEW = (200, 404, 404, 404, 403, 401)
API_CHANGE = (503, 503, 404, 403, 403, 401)
API_OTHER_CHANGE = (503, 404, 404, 403, 403, 401)
API_POST_ONLY = (405, 405, 405, 405, 405, 401)


def _op(host_key):
    return lambda w: {"pk": w[f"op_{host_key}"].pk}


def _action(host_key, name):
    return lambda w: {"pk": w[f"instance_{host_key}"].pk, "name": name}


def _host_action(host_key, name):
    return lambda w: {"pk": w[f"host_{host_key}"].pk, "name": name}


def _instance(host_key):
    return lambda w: {"pk": w[f"instance_{host_key}"].pk}


def _disk(host_key, target):
    return lambda w: {"pk": w[f"instance_{host_key}"].pk, "target": target}


def _snapshot(host_key):
    return lambda w: {"pk": w[f"instance_{host_key}"].pk, "name": "s1"}


SNAPSHOT_DETAILS = {"snapshots": [{"name": "s1", "parent": "", "created": 1, "state": "running", "current": True}],
                    "disk_snapshots": [{"target": "vda", "name": "x", "overlay": "/p/o", "base": "/p/v1"}]}  # fmt: skip


def _nic(host_key, **extra):
    return lambda w: {"pk": w[f"instance_{host_key}"].pk, "mac": "52:54:00:00:00:01", **extra}


def _host(host_key, name="pk"):
    return lambda w: {name: w[f"host_{host_key}"].pk}


def _pool(host_key, **extra):
    return lambda w: {"host_pk": w[f"host_{host_key}"].pk, "pool": "default-pool", **extra}


def _api_pool(host_key):
    return lambda w: {"pk": w[f"host_{host_key}"].pk, "pool": "default-pool"}


def _net(host_key, name):
    return lambda w: {"host_pk": w[f"host_{host_key}"].pk, "name": name}


# route name -> list of (method, kwargs(world), expected per cast, data): the API and /metrics
API_ROUTES = {
    "api-tokens": [("get", None, (200, 200, 200, 200, 200, 302))],  # everyone's own tokens
    "api-token-revoke": [("get", lambda w: {"pk": 1}, POST_ONLY), ("post", lambda w: {"pk": 1}, (404,) * 5 + (302,))],
    "api-docs": [("get", None, (200, 200, 200, 200, 200, 302))],
    "api-schema": [("get", None, (200, 200, 200, 200, 200, 401))],
    "api-host-list": [
        ("get", None, API_LIST),
        ("post", None, (400, 400, 400, 403, 403, 401)),
    ],  # empty: the form's errors
    "api-host-detail": [
        ("get", _host("a"), API_VIEW),
        ("get", _host("b"), API_OTHER_VIEW),
        ("put", _host("a"), API_CHANGE),  # its own values: valid, queued (no worker here)
        ("delete", _host("b"), (204, 404, 404, 404, 404, 401)),  # the admin removes it: then it is not there
    ],
    "api-host-check": [
        ("get", _host("a"), API_POST_ONLY),
        ("post", _host("a"), API_CHANGE),
        ("post", _host("b"), API_OTHER_CHANGE),
    ],
    "api-host-charts": [("get", _host("a"), API_VIEW), ("get", _host("b"), API_OTHER_VIEW)],
    "api-instance-charts": [("get", _instance("a"), API_VIEW), ("get", _instance("b"), API_OTHER_VIEW)],
    "api-host-storage": [("get", _host("a"), API_VIEW), ("get", _host("b"), API_OTHER_VIEW)],
    "api-host-networks": [("get", _host("a"), API_VIEW), ("get", _host("b"), API_OTHER_VIEW)],
    "api-volume-upload": [  # JSON, not multipart: refused (415) once the rights and the pool are checked
        ("get", _api_pool("a"), API_POST_ONLY),
        ("post", _api_pool("a"), (415, 415, 404, 403, 403, 401)),
        ("post", _api_pool("b"), (415, 404, 404, 403, 403, 401)),
    ],
    "api-host-action": [  # an empty body: the pool form's errors (400) for those who may
        ("get", _host_action("a", "pool-define"), API_POST_ONLY),
        ("post", _host_action("a", "pool-define"), (400, 400, 404, 403, 403, 401)),
        ("post", _host_action("b", "pool-define"), (400, 404, 404, 403, 403, 401)),
    ],
    "api-instance-list": [("get", None, API_LIST)],
    "api-instance-detail": [("get", _instance("a"), API_VIEW), ("get", _instance("b"), API_OTHER_VIEW)],
    "api-instance-action": [
        ("get", _action("a", "pause"), API_POST_ONLY),
        ("post", _action("a", "pause"), API_CHANGE),
        ("post", _action("b", "pause"), API_OTHER_CHANGE),
    ],
    "api-instance-device": [  # an empty body: the NIC form's errors (400) for those who may
        ("get", _action("a", "attach-interface"), API_POST_ONLY),
        ("post", _action("a", "attach-interface"), (400, 400, 404, 403, 403, 401)),
        ("post", _action("b", "attach-interface"), (400, 404, 404, 403, 403, 401)),
        ("post", _action("a", "detach-interface"), (404, 404, 404, 403, 403, 401)),  # no such NIC
    ],
    "api-console-ticket": [  # the page's ticket rule: the console permission, the instance's grant
        ("get", lambda w: {"pk": w["instance_a"].pk, "kind": "vnc"}, API_POST_ONLY),
        ("post", lambda w: {"pk": w["instance_a"].pk, "kind": "vnc"}, (200, 200, 404, 403, 403, 401)),
        ("post", lambda w: {"pk": w["instance_b"].pk, "kind": "vnc"}, (200, 404, 404, 403, 403, 401)),
    ],
    "api-console-log": [  # the console permission, the instance's grant
        ("get", _instance("a"), API_POST_ONLY),
        ("post", _instance("a"), (503, 503, 404, 403, 403, 401)),
        ("post", _instance("b"), (503, 404, 404, 403, 403, 401)),
    ],
    "api-snapshot-create": [  # an empty body: the snapshot form's errors (400) for those who may
        ("get", _instance("a"), API_POST_ONLY),
        ("post", _instance("a"), (400, 400, 404, 403, 403, 401)),
        ("post", _instance("b"), (400, 404, 404, 403, 403, 401)),
    ],
    "api-snapshot-revert": [
        ("get", _snapshot("a"), API_POST_ONLY),
        ("post", _snapshot("a"), API_CHANGE),
        ("post", _snapshot("b"), API_OTHER_CHANGE),
    ],
    "api-snapshot-delete": [("delete", _snapshot("a"), API_CHANGE), ("delete", _snapshot("b"), API_OTHER_CHANGE)],
    "metrics": [("get", None, (404,) * 6)],  # off unless METRICS_ENABLED (tests/metrics)
    "api-flavor-list": [("get", None, API_LIST)],
    "api-image-list": [("get", None, API_LIST)],
    "api-audit-list": [("get", None, (200, 403, 403, 403, 403, 401))],  # the audit page's permission
    "api-grant-list": [("get", None, (200, 403, 403, 403, 403, 401)), ("post", None, (400, 403, 403, 403, 403, 401))],
    "api-grant-detail": [("delete", lambda w: {"pk": w["grant"].pk}, (204, 403, 403, 403, 403, 401))],
    "api-operation-list": [("get", None, API_LIST)],
    "api-operation-detail": [("get", _op("a"), API_VIEW), ("get", _op("b"), API_OTHER_VIEW)],
    "api-operation-wait": [("get", _op("a"), API_VIEW), ("get", _op("b"), API_OTHER_VIEW)],
    "api-operation-file": [  # only who asked for the file gets it; the rest as the operation's page
        ("get", lambda w: {"pk": w["download"].pk}, (403, 200, 404, 403, 403, 401)),  # served once: to the operator
        ("get", lambda w: {"pk": w["log"].pk}, (404, 200, 404, 403, 403, 401)),  # the viewer opens no console
        ("get", _op("a"), (404, 404, 404, 404, 403, 401)),  # a pause leaves no file
        ("post", lambda w: {"pk": w["log"].pk}, API_POST_ONLY),
    ],
    "api-operation-stop": [  # op_a has ended: it cannot be stopped (409) by those who may stop it
        ("post", _op("a"), (409, 409, 404, 403, 403, 401)),
        ("post", _op("b"), (409, 404, 404, 404, 403, 401)),
    ],
}
