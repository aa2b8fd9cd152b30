"""Security headers on every page, a Content-Security-Policy the pages keep to (no inline script, no
inline event handler), and the production settings read from the environment."""

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from hosts.models import Host
from instances.models import Instance

pytestmark = pytest.mark.django_db
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'"
)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
TEMPLATES = Path(settings.BASE_DIR) / "templates"


@pytest.fixture
def objects(db):
    host = Host.objects.create(name="lab", uri="test:///default")
    instance = Instance.objects.create(host=host, uuid=uuid.uuid4(), name="web-1",
                                       details={"graphics": [{"type": "vnc"}, {"type": "spice"}]})  # fmt: skip
    return host, instance


def pages(host, instance) -> list[str]:
    return [
        reverse("home"),
        reverse("host-list"),
        reverse("host-detail", args=[host.pk]),
        reverse("host-edit", args=[host.pk]),
        reverse("instance-list"),
        reverse("instance-detail", args=[instance.pk]),
        reverse("operation-list"),
        reverse("console-log", args=[instance.pk]),
        reverse("console-vnc", args=[instance.pk]),
        reverse("console-spice", args=[instance.pk]),
        reverse("console-serial", args=[instance.pk]),
        reverse("audit-list"),
        reverse("password_change"),
    ]


def assert_keeps_to_the_policy(response, url):
    assert response.status_code == 200, url
    assert response["Content-Security-Policy"] == CSP, url
    assert response["X-Frame-Options"] == "DENY", url
    assert response["X-Content-Type-Options"] == "nosniff", url
    assert response["Referrer-Policy"] == "same-origin", url
    body = response.content.decode()
    assert not INLINE_SCRIPT.findall(body), url
    assert not INLINE_HANDLER.findall(body), url
    assert not JS_URL.findall(body), url


def test_every_main_page_sends_the_headers_and_has_no_inline_script(client_for, admin_user, objects):
    client = client_for(admin_user)
    for url in pages(*objects):
        assert_keeps_to_the_policy(client.get(url), url)


def test_the_login_page_too(client):
    assert_keeps_to_the_policy(client.get(reverse("login")), "login")


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if INLINE_SCRIPT.search(text) or INLINE_HANDLER.search(text) or JS_URL.search(text):
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []


def test_filter_selects_submit_through_the_static_script(client_for, admin_user, objects):
    client = client_for(admin_user)
    for name in ("operation-list", "instance-list", "audit-list"):
        body = client.get(reverse(name)).content.decode()
        assert "data-autosubmit" in body and "js/autosubmit.js" in body


def test_hsts_is_off_by_default_and_sent_over_https_when_set(client, settings):
    assert "Strict-Transport-Security" not in client.get(reverse("login"), secure=True)
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = Client().get(reverse("login"), secure=True)  # a new client: middleware reads settings once
    assert response["Strict-Transport-Security"] == "max-age=3600; includeSubDomains"


SETTINGS_PROBE = """
import json
from django.conf import settings
from django.test import Client
names = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
         "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER",
         "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS", "LOGIN_MAX_FAILURES",
         "LOGIN_FAILURE_WINDOW"]
print(json.dumps({name: getattr(settings, name) for name in names}))
"""


OURS = {"SECURE_COOKIES", "HSTS_SECONDS", "BEHIND_TLS_PROXY", "LOGIN_MAX_FAILURES", "LOGIN_FAILURE_WINDOW"}


def settings_with(tmp_path, **env) -> dict | subprocess.CompletedProcess:
    """The production settings module imported in a fresh interpreter with `env` set."""
    keep = {name: value for name, value in os.environ.items() if name not in OURS}
    full_env = {**keep, "DJANGO_SETTINGS_MODULE": "config.settings", "STATE_DIR": str(tmp_path),
                "SECRET_KEY": "x" * 50, **env}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", SETTINGS_PROBE], env=full_env, cwd=settings.BASE_DIR,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    return json.loads(result.stdout) if result.returncode == 0 else result


def test_defaults_are_for_plain_http_development(tmp_path):
    values = settings_with(tmp_path)
    assert values["SESSION_COOKIE_SECURE"] is False and values["CSRF_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0 and values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["SESSION_COOKIE_HTTPONLY"] is True and values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True and values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert (values["LOGIN_MAX_FAILURES"], values["LOGIN_FAILURE_WINDOW"]) == (5, 900)


def test_production_settings_from_the_environment(tmp_path):
    values = settings_with(tmp_path, SECURE_COOKIES="true", HSTS_SECONDS="31536000", BEHIND_TLS_PROXY="yes",
                           LOGIN_MAX_FAILURES="3", LOGIN_FAILURE_WINDOW="60")  # fmt: skip
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert (values["LOGIN_MAX_FAILURES"], values["LOGIN_FAILURE_WINDOW"]) == (3, 60)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HSTS_SECONDS": "a year"}, "HSTS_SECONDS must be an integer"),
        ({"HSTS_SECONDS": "-1"}, "HSTS_SECONDS must be at least 0"),
        ({"BEHIND_TLS_PROXY": "maybe"}, "BEHIND_TLS_PROXY must be a boolean"),
        ({"LOGIN_MAX_FAILURES": "0"}, "LOGIN_MAX_FAILURES must be at least 1"),
    ],
)
def test_bad_values_stop_the_start(tmp_path, env, message):
    result = settings_with(tmp_path, **env)
    assert isinstance(result, subprocess.CompletedProcess) and message in result.stderr
