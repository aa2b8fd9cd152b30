"""`Authorization: Bearer lvc_<key id>_<secret>`: the token's user, with the token's limits on them
(accounts.scope applies them); an unknown, expired or revoked token is refused with 401."""

import hmac
from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from api.models import PREFIX, ApiToken, digest

LAST_USED_EVERY = timedelta(minutes=1)  # "last used" is written at most this often per token


def token_of_text(text: str) -> ApiToken:
    """The usable token whose secret text this is (its user active); AuthenticationFailed else."""
    key_id = text.removeprefix(PREFIX).split("_", 1)[0]
    token = ApiToken.objects.select_related("user").filter(key_id=key_id).first()
    if token is None or not hmac.compare_digest(token.secret_hash, digest(text)):
        raise exceptions.AuthenticationFailed("This API token is not valid.")
    if not token.usable or not token.user.is_active:
        raise exceptions.AuthenticationFailed(f"The API token {token.name!r} is {token.status}.")
    return token


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2 or not header[1].startswith(PREFIX):
            raise exceptions.AuthenticationFailed("The Authorization header must be: Bearer lvc_<key>_<secret>.")
        token = token_of_text(header[1])
        now = timezone.now()
        if token.last_used is None or now - token.last_used > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.user.api_token = token  # accounts.scope narrows the user's rights to the token's
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
