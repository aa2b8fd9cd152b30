"""The API's gate before the access rule: a signed-in user (session or token), and a read-only
token only reads."""

from rest_framework import exceptions, permissions


class SignedInAndTokenAllows(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated(
                "Sign in, or send an API token: Authorization: Bearer lvc_<key>_<secret>."
            )
        token = request.auth if hasattr(request.auth, "read_only") else None
        if token is not None and token.read_only and request.method not in permissions.SAFE_METHODS:
            raise exceptions.PermissionDenied(f"The API token {token.name!r} is read-only: it cannot change anything.")
        return True
