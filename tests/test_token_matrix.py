"""The permission matrix for API tokens: every /api/v1/ route (a route without rows fails) answers
each kind of token — full, read-only, limited to host A, expired, revoked — as the table says, on
the world of tests/test_permission_matrix.py (whose rows give the method and the object)."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from tests.test_permission_matrix import ROUTES, all_routes, world  # noqa: F401, F811  (world: the fixture)

TOKEN_ORDER = ("full", "read-only", "host-a", "expired", "revoked")
TOKEN_READ = (200, 200, 200, 401, 401)
TOKEN_OTHER_READ = (200, 200, 404, 401, 401)  # an object on host B: the token limited to A does not see it
TOKEN_ROUTES = {
    "api-docs": [(0, (302,) * 5)],  # a page: the session's, tokens are for the API
    "api-schema": [(0, TOKEN_READ)],
    "api-host-list": [(0, TOKEN_READ)],
    "api-host-detail": [(0, TOKEN_READ), (1, TOKEN_OTHER_READ), (2, (503, 403, 503, 401, 401))],
    "api-host-check": [(1, (503, 403, 503, 401, 401)), (2, (503, 403, 404, 401, 401))],
    "api-host-storage": [(0, TOKEN_READ), (1, TOKEN_OTHER_READ)],
    "api-host-charts": [(0, TOKEN_READ), (1, TOKEN_OTHER_READ)],
    "api-instance-charts": [(0, TOKEN_READ), (1, TOKEN_OTHER_READ)],
    "api-host-networks": [(0, TOKEN_READ), (1, TOKEN_OTHER_READ)],
    "api-host-action": [(1, (400, 403, 400, 401, 401)), (2, (400, 403, 404, 401, 401))],
    "api-instance-list": [(0, TOKEN_READ)],
    "api-instance-detail": [(0, TOKEN_READ), (1, TOKEN_OTHER_READ)],
    "api-instance-action": [(0, (405, 405, 405, 401, 401)), (1, (503, 403, 503, 401, 401)),
                            (2, (503, 403, 404, 401, 401))],
    "api-snapshot-create": [(1, (400, 403, 400, 401, 401)), (2, (400, 403, 404, 401, 401))],
    "api-instance-device": [(1, (400, 403, 400, 401, 401)), (2, (400, 403, 404, 401, 401))],
    "api-console-ticket": [(1, (200, 403, 200, 401, 401)), (2, (200, 403, 404, 401, 401))],  # read-only: no console
    "api-flavor-list": [(0, TOKEN_READ)],
    "api-image-list": [(0, TOKEN_READ)],
    "api-audit-list": [(0, (200, 200, 403, 401, 401))],  # a host-limited token: not the fleet's log
    "api-grant-list": [(0, (200, 200, 403, 401, 401)), (1, (400, 403, 403, 401, 401))],  # grants are the fleet's
    "api-grant-detail": [(0, (204, 403, 403, 401, 401))],
    "api-snapshot-revert": [(1, (503, 403, 503, 401, 401)), (2, (503, 403, 404, 401, 401))],
    "api-snapshot-delete": [(0, (503, 403, 503, 401, 401)), (1, (503, 403, 404, 401, 401))],
    "api-operation-list": [(0, TOKEN_READ)],
    "api-operation-detail": [(0, TOKEN_READ), (1, TOKEN_OTHER_READ)],
    "api-operation-wait": [(0, TOKEN_READ), (1, TOKEN_OTHER_READ)],
    "api-volume-upload": [(1, (415, 403, 415, 401, 401)), (2, (415, 403, 404, 401, 401))],
    "api-console-log": [(1, (503, 403, 503, 401, 401)), (2, (503, 403, 404, 401, 401))],
    "api-operation-file": [(0, (403, 403, 403, 401, 401)), (1, (404, 403, 404, 401, 401)),  # read-only: no console
                           (2, (404, 404, 404, 401, 401))],
    "api-operation-stop": [(0, (409, 403, 409, 401, 401)), (1, (409, 403, 404, 401, 401))],
}  # fmt: skip
TOKEN_CASES = [(name, row) for name, rows in TOKEN_ROUTES.items() for row, _ in rows]


def test_every_api_route_is_in_the_token_matrix():
    missing = sorted({name for name, path in all_routes() if path.startswith("api/v1/")} - set(TOKEN_ROUTES))
    assert not missing, f"API routes without an entry in the token matrix: {missing}"


@pytest.mark.parametrize(("name", "row"), TOKEN_CASES, ids=[f"{name}-{row}" for name, row in TOKEN_CASES])
def test_api_route_answers_each_kind_of_token_as_the_matrix_says(name, row, world):  # noqa: F811
    method, kwargs, _session = ROUTES[name][row]
    expected = dict(TOKEN_ROUTES[name])[row]
    url = reverse(name, kwargs=kwargs(world) if kwargs else None)
    admin, answers = world["users"]["admin"], {}
    for kind in TOKEN_ORDER:
        token, secret = ApiToken.issue(user=admin, name=kind, read_only=kind == "read-only",
                                       hosts=[world["host_a"]] if kind == "host-a" else ())  # fmt: skip
        if kind in ("expired", "revoked"):
            ApiToken.objects.filter(pk=token.pk).update(**{kind.replace("expired", "expires"): timezone.now()})
        auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        response = getattr(Client(), method)(url, content_type="application/json", **auth)
        answers[kind] = response.status_code
    assert answers == dict(zip(TOKEN_ORDER, expected, strict=True)), f"{method.upper()} {url}"
