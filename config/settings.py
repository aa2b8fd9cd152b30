"""Settings for the libvirt web console; every knob is an environment variable (see README)."""

from pathlib import Path

import dj_database_url

from config.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_json,
    env_list,
    env_str,
    env_url,
    require_shared_setup,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = Path(env_str("STATE_DIR", str(BASE_DIR / ".state")))

# How many machines run the console's processes. Above 1, what they must share comes from the
# environment or nothing starts (config.env.require_shared_setup; docs/deployment.md).
MACHINES = env_int("MACHINES", 1, minimum=1)
require_shared_setup(MACHINES)
SECRET_KEY = secret_key(STATE_DIR / "secret_key")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_rq",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "accounts",
    "live",
    "jobs",
    "hosts",
    "storage",
    "networks",
    "instances",
    "console",
    "audit",
    "api",
    "metrics",
    "stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "live.middleware.LiveSeqMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
# Django's database sessions and ModelBackend, each request's two reads compiled once (accounts.loading).
SESSION_ENGINE = "accounts.loading"
AUTHENTICATION_BACKENDS = ["accounts.loading.UserBackend"]
FORM_RENDERER = "config.widgets.PythonWidgets"  # Django's widget markup, made without its template engine
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["config.links"],  # {% link %} and {% asset %}: URLs worked out once per process
        },
    },
]

# A process keeps its database connections (one per thread: the web's request threads are kept,
# config/asgi.py) for DATABASE_CONN_MAX_AGE seconds, checked before reuse after a failure:
# opening one cost a page ~1.2 ms on SQLite, more on PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        env_url("DATABASE_URL", f"sqlite:///{STATE_DIR / 'db.sqlite3'}", schemes=("sqlite", "postgres", "postgresql")),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several processes write (web, worker, monitor): WAL lets readers and the writer proceed
    # together, IMMEDIATE takes the write lock up front (no failed lock upgrades), and a writer
    # waits for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20,
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_url("REDIS_URL", "redis://127.0.0.1:6379/0", schemes=("redis", "rediss", "unix"))


def redis_backed(url: str) -> tuple[dict, dict]:
    """RQ_QUEUES and CHANNEL_LAYERS on the Redis at `url`."""
    queues = {name: {"URL": url, "DEFAULT_TIMEOUT": 3600} for name in ("default", "bulk")}  # jobs.registry.QUEUES
    # channels-redis blocks 5 s on BZPOPMIN; redis-py's default 5 s socket timeout would race it.
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # Consoles hold their sockets for days (group_expiry) and receive bursts (capacity);
            # page events do not go through it (live.fanout reads a stream once per process).
            "CONFIG": {
                "hosts": [{"address": url, "socket_timeout": 30}],
                "capacity": 1000,
                "expiry": 60,
                "group_expiry": 30 * 86400,
            },
        }
    }
    return queues, layers


RQ_QUEUES, CHANNEL_LAYERS = redis_backed(REDIS_URL)

# Fernet key for host credentials at rest; empty: derived from SECRET_KEY.
CREDENTIALS_KEY = env_str("CREDENTIALS_KEY", "")

# Hosts `make run` registers (manage.py register_default_hosts); the ones that answer are added.
# The embedded test host is libvirt's test driver served by the local libvirtd, so that the web,
# worker and monitor processes share its one state (test:///default would give each its own).
LIBVIRT_DEFAULT_URIS = env_list("LIBVIRT_DEFAULT_URIS", ["test+unix:///default", "qemu:///system"])
# Upper bound for opening a libvirt connection, so an unreachable host never hangs a worker.
LIBVIRT_CONNECT_TIMEOUT = env_float("LIBVIRT_CONNECT_TIMEOUT", 2.0, minimum=0.1)
# libvirt keepalive: a host that misses COUNT pings sent every INTERVAL seconds is down.
LIBVIRT_KEEPALIVE_INTERVAL = env_int("LIBVIRT_KEEPALIVE_INTERVAL", 1, minimum=1)
LIBVIRT_KEEPALIVE_COUNT = env_int("LIBVIRT_KEEPALIVE_COUNT", 3, minimum=1)
# A running operation whose worker gave no sign of life for this long is failed by the reaper.
OPERATION_STALE_AFTER = env_int("OPERATION_STALE_AFTER", 30, minimum=10)
# How often the monitor re-reads every host's domains and changing figures (memory, CPU), in seconds.
MONITOR_INTERVAL = env_float("MONITOR_INTERVAL", 10.0, minimum=0.5)
# The slow facts (capabilities, pools, volumes, networks, filters) are re-read this often, or at the
# next refresh after a pool or network event; the console's own operations re-read them at once.
MONITOR_FACTS_INTERVAL = env_float("MONITOR_FACTS_INTERVAL", 60.0, minimum=1.0)
# Several monitors share the hosts (hosts.ownership): each holds a host's lease this long, renewing
# it every fifth of that; a killed monitor's hosts are watched again after about 1.2 × this.
MONITOR_LEASE_TTL = env_float("MONITOR_LEASE_TTL", 10.0, minimum=1.0)
# The monitor's reader threads (connecting, re-reading hosts and definitions in bulk) run this many
# nice steps below its main loop and lease thread, so a takeover or a cold start on a machine that
# also serves pages leaves the pages their CPU (Linux shares CPU per thread, and a monitor has 8).
MONITOR_READER_NICE = env_int("MONITOR_READER_NICE", 10, minimum=0)
# Charts: the monitor turns the counters it reads into rates at most every STATS_INTERVAL seconds
# and keeps them round-robin in STATS_DIR (stats/history.py: about 280 KB per instance with a disk
# and a NIC, whatever its age).
STATS_INTERVAL = env_int("STATS_INTERVAL", 10, minimum=1)
STATS_DIR = Path(env_str("STATS_DIR", str(STATE_DIR / "stats")))

# Instances: image files uploaded to the console are kept here (never served over HTTP) and copied
# into a dir pool on each host (the image cache); instance disks, config drives and console logs
# live in a second pool. Cached images no instance used for IMAGE_CACHE_MAX_AGE hours are removed.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(STATE_DIR / "media")))
# Files web and workers hand each other (images; uploads and downloads of volumes and console logs,
# "transfers") go through Django's storage API: this machine's folders by default. On several
# machines: a shared mount (MEDIA_ROOT and TRANSFERS_DIR on it), or an S3-compatible bucket through
# django-storages (FILE_STORAGE=storages.backends.s3.S3Storage, FILE_STORAGE_OPTIONS='{"bucket_name": ...}').
TRANSFERS_DIR = Path(env_str("TRANSFERS_DIR", str(STATE_DIR / "transfers")))
FILE_STORAGE = env_str("FILE_STORAGE", "django.core.files.storage.FileSystemStorage")
FILE_STORAGE_OPTIONS = env_json("FILE_STORAGE_OPTIONS", {})


def file_storages(backend: str, options: dict, transfers_dir: Path) -> dict:
    """STORAGES: images ("default") and transfers on one backend; in folders of their own."""
    private = {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700}
    if backend.endswith("FileSystemStorage"):  # MEDIA_ROOT for images; a private folder for transfers
        media, transfers = options, {**options, **private, "location": str(transfers_dir)}
    else:  # a bucket: two prefixes
        media, transfers = {**options, "location": "media"}, {**options, "location": "transfers"}
    return {
        "default": {"BACKEND": backend, "OPTIONS": media},
        "transfers": {"BACKEND": backend, "OPTIONS": transfers},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


STORAGES = file_storages(FILE_STORAGE, FILE_STORAGE_OPTIONS, TRANSFERS_DIR)
IMAGE_POOL_NAME = env_str("IMAGE_POOL_NAME", "lvc-images")
IMAGE_POOL_PATH = env_str("IMAGE_POOL_PATH", "/var/lib/libvirt/images/lvc-images")
INSTANCE_POOL_NAME = env_str("INSTANCE_POOL_NAME", "lvc-instances")
INSTANCE_POOL_PATH = env_str("INSTANCE_POOL_PATH", "/var/lib/libvirt/images/lvc-instances")
# Guest domain type: "auto" takes kvm only where the host offers it and a probe guest's kernel
# started under it within KVM_PROBE_TIMEOUT seconds (probed once per host; a host that advertises
# KVM that does not work gets qemu, TCG); "kvm" or "qemu" forces one.
VIRT_TYPE = env_choice("VIRT_TYPE", "auto", choices=("auto", "kvm", "qemu"))
KVM_PROBE_TIMEOUT = env_float("KVM_PROBE_TIMEOUT", 15.0, minimum=1.0)
# A new guest whose console prints nothing within this many seconds of its start is created with a
# warning (its kernel is likely not starting); 0 does not wait.
SPAWN_CONSOLE_WAIT = env_float("SPAWN_CONSOLE_WAIT", 30.0, minimum=0.0)
IMAGE_CACHE_MAX_AGE = env_float("IMAGE_CACHE_MAX_AGE", 24.0, minimum=0.0)
# Graceful power off / soft reboot: ACPI presses every RETRY seconds until TIMEOUT, then forced.
POWER_OFF_TIMEOUT = env_float("POWER_OFF_TIMEOUT", 60.0, minimum=1.0)
POWER_OFF_RETRY = env_float("POWER_OFF_RETRY", 10.0, minimum=0.5)
DETACH_TIMEOUT = env_float("DETACH_TIMEOUT", 30.0, minimum=1.0)  # seconds a guest gets to release a disk
# How much of a host the checks before a live migration let guests claim: memory and vCPUs as
# multiples of what it has (Nova's ram and cpu allocation ratios).
MEMORY_OVERCOMMIT_RATIO = env_float("MEMORY_OVERCOMMIT_RATIO", 1.0, minimum=0.0)
CPU_OVERCOMMIT_RATIO = env_float("CPU_OVERCOMMIT_RATIO", 16.0, minimum=0.0)
# Live migration defaults (each can be changed per migration on its page).
MIGRATION_MAX_DOWNTIME = env_int("MIGRATION_MAX_DOWNTIME", 300, minimum=1)  # ms the guest may pause at the end
MIGRATION_BANDWIDTH = env_int("MIGRATION_BANDWIDTH", 0, minimum=0)  # MiB/s; 0: as fast as the link goes
MIGRATION_AUTO_CONVERGE = env_bool("MIGRATION_AUTO_CONVERGE", True)  # slow the guest's CPU when not converging
MIGRATION_POST_COPY = env_bool("MIGRATION_POST_COPY", False)  # switch to post-copy when not converging
MAINTENANCE_PARALLEL = env_int("MAINTENANCE_PARALLEL", 2, minimum=1)  # guests a drain moves at once
MIGRATION_COMPLETION_TIMEOUT = env_int("MIGRATION_COMPLETION_TIMEOUT", 600, minimum=5)  # s, then aborted
# Seconds a resize or cold migration waits for Confirm or Revert before it is confirmed by itself; 0: never.
RESIZE_CONFIRM_WINDOW = env_int("RESIZE_CONFIRM_WINDOW", 24 * 3600, minimum=0)
RESIZE_BANDWIDTH = env_int("RESIZE_BANDWIDTH", 0, minimum=0)  # MiB/s a disk copy between hosts may take; 0: all

# Console logs: at most this many bytes from the end of a serial log are fetched and shown.
CONSOLE_LOG_MAX_BYTES = env_int("CONSOLE_LOG_MAX_BYTES", 1024 * 1024, minimum=1024)

CONSOLE_PROXY_HOST = env_str("CONSOLE_PROXY_HOST", "127.0.0.1")
CONSOLE_PROXY_PORT = env_int("CONSOLE_PROXY_PORT", 6080, minimum=1)
# Seconds between the proxy's pings to a browser; each also checks the user's access again.
CONSOLE_PROXY_HEARTBEAT = env_float("CONSOLE_PROXY_HEARTBEAT", 30.0, minimum=1.0)
# Seconds the graphics password the proxy sets on a guest's VNC/SPICE console stays valid: long enough
# for the page to connect (SPICE opens its channels one after another); open connections stay.
CONSOLE_PASSWORD_VALID = env_int("CONSOLE_PASSWORD_VALID", 30, minimum=5)
# What a client of the console proxy may hold before it showed a ticket: seconds to send its request
# line and headers, and handler processes per client address and in all (beyond: closed at once).
CONSOLE_PROXY_HEADER_DEADLINE = env_int("CONSOLE_PROXY_HEADER_DEADLINE", 10, minimum=1)
CONSOLE_PROXY_MAX_PER_ADDRESS = env_int("CONSOLE_PROXY_MAX_PER_ADDRESS", 20, minimum=1)
CONSOLE_PROXY_MAX_CONNECTIONS = env_int("CONSOLE_PROXY_MAX_CONNECTIONS", 200, minimum=1)
# The proxy's websocket base URL as browsers reach it (e.g. wss://console.example.org/consoles/ behind
# a TLS proxy); empty: ws(s)://<host of the page>:CONSOLE_PROXY_PORT/. The proxy checks the Django
# session cookie, so browsers must send it there: same host name as the pages (any port).
CONSOLE_PROXY_URL = env_str("CONSOLE_PROXY_URL", "") and env_url("CONSOLE_PROXY_URL", "", schemes=("ws", "wss"))
# Page origins the proxy accepts websockets from (its Origin check). Default: every ALLOWED_HOSTS
# name (wildcards skipped) as http:// and https://, without a port and with WEB_PORT (where
# `make run` serves), plus CSRF_TRUSTED_ORIGINS. Set it explicitly behind a proxy or with ALLOWED_HOSTS=*.
CONSOLE_ALLOWED_ORIGINS = env_list(
    "CONSOLE_ALLOWED_ORIGINS",
    [
        f"{scheme}://{name}{port}"
        for name in ALLOWED_HOSTS
        if not name.startswith((".", "*"))
        for scheme in ("http", "https")
        for port in ("", f":{env_int('WEB_PORT', 8000, minimum=1)}")
    ]
    + CSRF_TRUSTED_ORIGINS,
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# The REST API (/api/v1/, api/): session (the pages' own, with CSRF) or API token; one JSON error
# shape; tokens throttled per token (API_TOKEN_RATE requests per s/min/hour/day, counted in Redis).
API_TOKEN_RATE = env_str("API_TOKEN_RATE", "600/min")
API_PAGE_SIZE = 50
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.SignedInAndTokenAllows"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.errors.handle",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "libvirt console API",
    "DESCRIPTION": "Everything the pages do, for scripts: send `Authorization: Bearer <token>` (make one on "
    "your API tokens page). Changes answer 202 with the operation; wait for it at its `wait` URL.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["api.permissions.SignedInAndTokenAllows"],
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.error_responses"],
}

# Prometheus metrics at /metrics (metrics/): off by default; scraped from the addresses (CIDRs)
# allowed, or with an API token (then what its user may see).
METRICS_ENABLED = env_bool("METRICS_ENABLED", False)
METRICS_ALLOWED_ADDRESSES = env_list("METRICS_ALLOWED_ADDRESSES", [])

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: after LOGIN_MAX_FAILURES failed logins for one username, or from one client
# address, within LOGIN_FAILURE_WINDOW seconds, further attempts are refused without checking the
# password until the window (counted from the first failure) has passed. Counted in Redis.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 900, minimum=1)

# Security. In production: SECURE_COOKIES=true behind HTTPS, HSTS_SECONDS once HTTPS works for good,
# BEHIND_TLS_PROXY=true when a reverse proxy terminates TLS (it must set X-Forwarded-Proto).
SECURE_COOKIES = env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = SECURE_COOKIES
HSTS_SECONDS = env_int("HSTS_SECONDS", 0, minimum=0)
if HSTS_SECONDS:
    SECURE_HSTS_SECONDS = HSTS_SECONDS
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sent by config.csp on every response. Websockets: the live updates (same origin) and the console
# proxy, which listens on another port (or at CONSOLE_PROXY_URL), hence ws:/wss:.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'"
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = STATE_DIR / "staticfiles"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"rq.worker": {"level": "WARNING"}},
}
