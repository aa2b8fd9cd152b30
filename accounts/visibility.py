"""Which live events a user's page may receive: only about what their grants let them see.
Given to the live layer at start-up (AccountsConfig.ready: live.visibility.use(events_filter))."""

from collections.abc import Callable

from accounts.scope import Scope, scope_for


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def events_filter(user) -> Callable[[str, dict], bool]:
    """visible() for `user`, with their grants as they are now."""
    scope, user_id = scope_for(user, fresh=True), user.pk
    return lambda kind, data: visible(scope, user_id, kind, data)


def visible(scope: Scope, user_id: int, kind: str, data: dict) -> bool:
    if scope.fleet or kind == "grants":
        return True
    if kind in ("host", "host-inventory"):
        return scope.sees_host(_int(data.get("id")))
    if kind == "instance":
        return scope.role_on_instance(_int(data.get("id")), _int(data.get("host_id"))) is not None
    if kind in ("instances", "stats"):  # "reload the list", "new chart samples": no more than a host id
        return scope.sees_host(_int(data.get("host_id"))) or bool(scope.instances)
    if kind == "operation":
        on_instance = data.get("target_type") == "instance" and _int(data.get("target_id")) in scope.instances
        return data.get("user_id") == user_id or scope.sees_host(_int(data.get("host_id"))) or on_instance
    return False  # a kind nobody checked is not sent
