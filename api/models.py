"""API tokens: per user, named, stored hashed (the secret is shown once), optionally expiring,
read-only, or limited to some hosts — never more than their user may do."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from hosts.models import Host

PREFIX = "lvc_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16, unique=True, editable=False)  # shown; finds the token
    secret_hash = models.CharField(max_length=64, editable=False)  # sha256 of the whole token
    read_only = models.BooleanField(default=False, help_text="Only reads: every change is refused.")
    hosts = models.ManyToManyField(
        Host, blank=True, related_name="+", help_text="Only these hosts and their instances (none: all the user's)."
    )
    expires = models.DateTimeField(null=True, blank=True, help_text="Refused from then on (empty: never).")
    revoked = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="api_token_unique_name_per_user")]

    def __str__(self):
        return f"{self.name} ({self.user})"

    @classmethod
    def issue(cls, *, user, name: str, read_only: bool = False, expires=None, hosts=()) -> tuple["ApiToken", str]:
        """A new token and its secret text (lvc_<key id>_<secret>), which is never stored."""
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        text = f"{PREFIX}{key_id}_{secret}"
        token = cls.objects.create(user=user, name=name, key_id=key_id, secret_hash=digest(text),
                                   read_only=read_only, expires=expires)  # fmt: skip
        token.hosts.set(hosts)
        return token, text

    @property
    def usable(self) -> bool:
        return self.revoked is None and (self.expires is None or self.expires > timezone.now())

    @property
    def status(self) -> str:
        if self.revoked:
            return "revoked"
        return "expired" if not self.usable else "active"
