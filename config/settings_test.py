"""Settings for the test suite: a dedicated Redis database and a file-based test database."""

from config.env import env_str, env_url
from config.settings import *  # noqa: F403
from config.settings import DATABASES, STATE_DIR, redis_backed

REDIS_URL = env_url("TEST_REDIS_URL", "redis://127.0.0.1:6379/15", schemes=("redis", "rediss", "unix"))
RQ_QUEUES, CHANNEL_LAYERS = redis_backed(REDIS_URL)

ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory: the live server, the worker thread and the test share it.
    # TEST_DB_FILE lets a second test run (another checkout's helper) use its own file.
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DB_FILE", str(STATE_DIR / "test.sqlite3"))}

VIRT_TYPE = "qemu"  # KVM is advertised on the test machines but does not work there
SPAWN_CONSOLE_WAIT = 0  # a spawn does not wait for console output (tests/instances/test_guest_type.py does)
POWER_OFF_RETRY = 3.0
STATS_DIR = STATE_DIR / "test-stats"  # chart history written by the tests' monitors
