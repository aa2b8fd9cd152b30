"""Rotating the key that encrypts host credentials: new key first, re-encrypt, drop the old one."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from hosts import credentials
from hosts.credentials import UnreadableSecret, decrypt, encrypt
from hosts.models import Host

OLD, NEW, OTHER = (Fernet.generate_key().decode() for _ in range(3))


@pytest.fixture
def key(settings):
    def use(value: str) -> None:
        settings.CREDENTIALS_KEY = value
        credentials._fernet.cache_clear()

    yield use
    credentials._fernet.cache_clear()


def test_rotation_re_encrypts_with_the_new_key(db, key):
    key(OLD)
    host = Host.objects.create(name="lab", uri="test:///default", secret=encrypt("s3cret"))
    key(f"{NEW},{OLD}")
    call_command("rotate_credentials")
    key(NEW)  # the old key is gone
    assert decrypt(Host.objects.get(pk=host.pk).secret) == "s3cret"


def test_a_secret_no_key_opens_stops_the_rotation_and_changes_nothing(db, key):
    key(OTHER)
    stranger = Host.objects.create(name="other", uri="test:///default?x", secret=encrypt("x"))
    key(OLD)
    host = Host.objects.create(name="lab", uri="test:///default", secret=encrypt("s3cret"))
    before = Host.objects.get(pk=host.pk).secret
    key(f"{NEW},{OLD}")
    with pytest.raises(CommandError, match="other"):
        call_command("rotate_credentials")
    assert Host.objects.get(pk=host.pk).secret == before
    with pytest.raises(UnreadableSecret):
        decrypt(Host.objects.get(pk=stranger.pk).secret)
