"""Typed readers for settings from the environment; a bad value stops the start with a clear message."""

import json
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_json(name: str, default: dict) -> dict:
    """A JSON object (e.g. a storage backend's options)."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a JSON object: {error}") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object, not {type(value).__name__}")
    return value


def env_choice(name: str, default: str, *, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no), not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str, *, schemes: tuple[str, ...]) -> str:
    value = os.environ.get(name, default)
    if not value.startswith(tuple(f"{scheme}://" for scheme in schemes)):
        raise ImproperlyConfigured(f"{name} must start with one of {', '.join(schemes)}://, not {value!r}")
    return value


def secret_key(path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in a local file."""
    if key := os.environ.get("SECRET_KEY"):
        if len(key) < 32:
            raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long")
        return key
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


# What every machine must share when the console runs on several (MACHINES > 1): a key generated
# on one machine, a SQLite file or a loopback Redis would each differ from machine to machine.
SHARED_SETTINGS = {
    "SECRET_KEY": "sessions, CSRF tokens and console tickets are signed with it",
    "CREDENTIALS_KEY": "host passwords and keys are encrypted with it",
    "DATABASE_URL": "a PostgreSQL database every machine reaches (postgres://...)",
    "REDIS_URL": "the Redis every machine reaches (jobs, live updates, locks)",
}


def require_shared_setup(machines: int) -> None:
    """With more than one machine, refuse to start unless what they must share comes from the
    environment (docs/deployment.md): one clear message naming everything missing."""
    if machines <= 1:
        return
    missing = [f"{name} ({why})" for name, why in SHARED_SETTINGS.items() if not os.environ.get(name)]
    if os.environ.get("DATABASE_URL", "").startswith("sqlite"):
        missing.append("DATABASE_URL must be PostgreSQL: a SQLite file is one machine's")
    if missing:
        raise ImproperlyConfigured(
            f"MACHINES is {machines}, so every machine must be given the same settings in its environment; "
            f"missing: {'; '.join(missing)}."
        )
