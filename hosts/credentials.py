"""Host credentials at rest: encrypted with Fernet; the key comes from CREDENTIALS_KEY or, by
default, is derived from SECRET_KEY (so changing SECRET_KEY means entering them again).

Rotation: CREDENTIALS_KEY may list several keys, comma-separated. The first encrypts, all
decrypt; `manage.py rotate_credentials` re-encrypts every stored secret with the first, after
which the old keys can be removed from the list."""

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

from virt.credentials import Credentials


class CredentialKind(models.TextChoices):
    NONE = "none", "None (socket, Kerberos, TLS certificates or ssh-agent)"
    SSH_KEY = "ssh_key", "SSH private key"
    PASSWORD = "password", "Username and password"


class UnreadableSecret(Exception):
    """The stored secret cannot be decrypted (the key changed): enter it again."""


@cache
def _fernet() -> MultiFernet:
    keys = [key.strip() for key in settings.CREDENTIALS_KEY.split(",") if key.strip()]
    if keys:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"libvirt-console host credentials")
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derived.derive(settings.SECRET_KEY.encode())))])


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret("The stored credential cannot be decrypted; edit the host and enter it again.") from None


def rotate(token: str) -> str:
    """The same secret encrypted with the first key (UnreadableSecret when no key opens it)."""
    if not token:
        return ""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret("The stored credential cannot be decrypted with any key in CREDENTIALS_KEY.") from None


def credentials_for(*, kind: str, username: str, secret_token: str) -> Credentials | None:
    """What virt/ needs to open the connection, from a host's stored (encrypted) fields."""
    if kind == CredentialKind.SSH_KEY:
        return Credentials(username=username, ssh_key=decrypt(secret_token))
    if kind == CredentialKind.PASSWORD:
        return Credentials(username=username, password=decrypt(secret_token))
    return None
