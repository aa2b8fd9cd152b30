"""Settings come from the environment through typed helpers that refuse bad values."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env


def test_bool_reads_common_spellings(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert env.env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "0")
    assert env.env_bool("FLAG", True) is False


def test_bool_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG must be a boolean"):
        env.env_bool("FLAG", False)


def test_int_refuses_text_and_values_below_minimum(monkeypatch):
    monkeypatch.setenv("COUNT", "ten")
    with pytest.raises(ImproperlyConfigured, match="COUNT must be an integer"):
        env.env_int("COUNT", 1)
    monkeypatch.setenv("COUNT", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env.env_int("COUNT", 1, minimum=1)


def test_float_and_list(monkeypatch):
    monkeypatch.setenv("TIMEOUT", "2.5")
    monkeypatch.setenv("URIS", "test:///default, qemu:///system,")
    assert env.env_float("TIMEOUT", 1.0) == 2.5
    assert env.env_list("URIS", []) == ["test:///default", "qemu:///system"]


def test_url_refuses_unknown_scheme(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://db/console")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must start with"):
        env.env_url("DATABASE_URL", "sqlite:///x", schemes=("sqlite", "postgres"))


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    path = tmp_path / "secret_key"
    first = env.secret_key(path)
    assert len(first) >= 50
    assert env.secret_key(path) == first
    assert path.stat().st_mode & 0o777 == 0o600


def test_secret_key_from_environment_must_be_long(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ImproperlyConfigured, match="at least 32"):
        env.secret_key(tmp_path / "unused")


def test_several_machines_need_what_they_share_from_the_environment(monkeypatch):
    for name in ("SECRET_KEY", "CREDENTIALS_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    env.require_shared_setup(1)  # one machine: generated keys and SQLite are fine
    with pytest.raises(ImproperlyConfigured) as refused:
        env.require_shared_setup(3)
    assert str(refused.value).startswith("MACHINES is 3, so every machine must be given the same settings")
    assert all(name in str(refused.value) for name in ("SECRET_KEY", "CREDENTIALS_KEY", "DATABASE_URL", "REDIS_URL"))

    monkeypatch.setenv("SECRET_KEY", "k" * 50)
    monkeypatch.setenv("CREDENTIALS_KEY", "c" * 44)
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    monkeypatch.setenv("DATABASE_URL", "sqlite:////srv/console.sqlite3")
    with pytest.raises(ImproperlyConfigured, match="missing: DATABASE_URL must be PostgreSQL"):
        env.require_shared_setup(2)
    monkeypatch.setenv("DATABASE_URL", "postgres://console@db.internal/console")
    env.require_shared_setup(2)
