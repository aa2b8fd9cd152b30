"""The monitor (a real `manage.py monitor` process) keeps going when Redis or the database goes
away under it: it stays up, goes on re-reading its hosts while it can, and catches up when the
part is back, without being restarted."""

import re

import psycopg
import pytest
from django.utils import timezone

from hosts.models import Host, HostStatus
from tests.support.postgres import PostgresServer
from tests.support.processes import ManagedProcess, RedisServer, manage, process_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)  # the monitor sees committed rows only


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def refreshed_after(host: Host, moment) -> bool:
    seen = Host.objects.get(pk=host.pk).last_seen
    return seen is not None and seen > moment


def test_the_monitor_keeps_refreshing_its_hosts_while_redis_is_down(redis_server, tmp_path):
    host = Host.objects.create(name="lab", uri="test:///default", status=HostStatus.UP)
    env = process_env(TEST_REDIS_URL=redis_server.url, MONITOR_INTERVAL="1")
    started = timezone.now()
    monitor = ManagedProcess("monitor", log_path=tmp_path / "monitor.log", env=env).start()
    try:
        wait_until(lambda: refreshed_after(host, started), timeout=30,
                   what=lambda: f"a first refresh:\n{monitor.log()[-2000:]}")  # fmt: skip
        redis_server.stop()
        down = timezone.now()
        wait_until(lambda: refreshed_after(host, down), timeout=30,
                   what=lambda: f"a refresh with Redis down:\n{monitor.log()[-2000:]}")  # fmt: skip
        assert monitor.process.poll() is None, monitor.log()[-2000:]
        redis_server.start()
        back = timezone.now()
        wait_until(lambda: refreshed_after(host, back), timeout=30, what="a refresh with Redis back")
        assert monitor.process.poll() is None, monitor.log()[-2000:]
        assert re.search(r"Redis|redis", monitor.log()), "the outage is in the monitor's log"
    finally:
        monitor.stop()


def test_the_monitor_keeps_going_while_the_database_is_down(tmp_path):
    """On a private PostgreSQL that is stopped for a while and started again."""
    postgres = PostgresServer().start()
    env = process_env(DATABASE_URL=postgres.url, MONITOR_INTERVAL="1")
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(
            env, "shell", "-c", "from hosts.models import Host; Host.objects.create(name='lab', uri='test:///default')"
        )

        def last_seen():
            with psycopg.connect(postgres.url, connect_timeout=5) as conn:
                return conn.execute("SELECT last_seen FROM hosts_host WHERE name = 'lab'").fetchone()[0]

        monitor = ManagedProcess("monitor", log_path=tmp_path / "monitor.log", env=env).start()
        try:
            wait_until(last_seen, timeout=30, what=lambda: f"a first refresh:\n{monitor.log()[-2000:]}")
            postgres.stop()
            wait_until(lambda: "database" in monitor.log().lower(), timeout=30,
                       what=lambda: f"the monitor noticing:\n{monitor.log()[-2000:]}")  # fmt: skip
            assert monitor.process.poll() is None, monitor.log()[-2000:]
            postgres.start()
            back = last_seen()
            wait_until(lambda: last_seen() > back, timeout=30,
                       what=lambda: f"a refresh with the database back:\n{monitor.log()[-2000:]}")  # fmt: skip
            assert monitor.process.poll() is None, monitor.log()[-2000:]
        finally:
            monitor.stop()
    finally:
        postgres.remove()
