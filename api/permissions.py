"""The API's gate before the access rule: a signed-in user (session or token), and a read-only
token only reads."""

from rest_framework import exceptions, permissions


def token_of(request):
    """The API token the request was signed with, or None (a session)."""
    return request.auth if hasattr(request.auth, "read_only") else None


def refuse_host_limited(request, doing: str) -> None:
    """A token limited to some hosts cannot do what concerns the whole fleet."""
    token = token_of(request)
    if token is not None and token.hosts.exists():
        raise exceptions.PermissionDenied(f"The API token {token.name!r} is limited to some hosts: {doing}.")


class SignedInAndTokenAllows(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated(
                "Sign in, or send an API token: Authorization: Bearer lvc_<key>_<secret>."
            )
        token = token_of(request)
        if token is not None and token.read_only and request.method not in permissions.SAFE_METHODS:
            raise exceptions.PermissionDenied(f"The API token {token.name!r} is read-only: it cannot change anything.")
        return True
