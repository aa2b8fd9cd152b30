"""Fixtures shared by the whole suite. Every real part is required: a missing one fails the run."""

import faulthandler
import signal
import warnings

import django_rq
import libvirt
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from redis.exceptions import RedisError

from accounts.models import Grant, Role
from jobs.registry import QUEUES
from tests.support.domains import define_domain
from tests.support.guest import GUEST_DIR, MARKER, define_tiny_guest, remove_domain, remove_leftover_guests
from tests.support.instances import instance_volumes, remove_volumes
from tests.support.live_server import LiveServer
from tests.support.worker import WorkerThread

QEMU_URI = "qemu:///system"

# The cast: what each may do, as model permissions (app_label.codename).
VIEW = ["hosts.view_host", "instances.view_instance", "jobs.view_operation"]
CAST = {
    "operator": VIEW
    + ["hosts.add_host", "hosts.change_host", "instances.add_instance", "instances.change_instance"]
    + ["instances.console_instance"],
    "viewer": VIEW,
    "outsider": [],
}
PASSWORD = "correct-horse-battery"


EXIT_GRACE = 60  # seconds the process may take to exit once the session is over
# A test touches the database when it asks for one of these (directly or through other fixtures).
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_setup"}
# A test drives real guests when it asks for the shared libvirtd or the multi-host lab.
GUEST_FIXTURES = {"qemu_conn", "lab"}


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that touch the database (the second, PostgreSQL pass of .ci/run)",
    )


def touches_database(item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(DATABASE_FIXTURES & set(item.fixturenames))


def runs_on_both_databases(item) -> bool:
    """The PostgreSQL pass: what touches the database, but not what spends its time in a guest on
    the real hypervisor (same ORM statements as the tests without one), unless it is marked as
    depending on how the database behaves (constraints under concurrency, the reaper)."""
    if not touches_database(item):
        return False
    drives_guests = bool(GUEST_FIXTURES & set(item.fixturenames))
    return not drives_guests or item.get_closest_marker("both_databases") is not None


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--database-tests-only"):
        return
    others = [item for item in items if not runs_on_both_databases(item)]
    if others:
        config.hook.pytest_deselected(items=others)
        items[:] = [item for item in items if runs_on_both_databases(item)]


def pytest_configure(config):
    """A run stopped from outside (`timeout` in .ci/run sends SIGTERM) prints every thread's stack first."""
    faulthandler.register(signal.SIGTERM, all_threads=True, chain=True)


def pytest_unconfigure(config):
    """pytest always exits: a thread that keeps the interpreter from exiting (a non-daemon thread
    stuck in a C call) gets every thread's stack printed and the process ended with status 1."""
    faulthandler.dump_traceback_later(EXIT_GRACE, exit=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (rep_setup, rep_call), for fixtures to look at."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# --- Redis and the worker --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def redis_conn():
    """The real Redis (a dedicated database), empty at the start of every test."""
    conn = django_rq.get_connection("default")
    try:
        conn.ping()
    except RedisError as error:
        pytest.fail(f"Redis does not answer at {settings.REDIS_URL}: {error}. make test starts it.")
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture
def rq_worker(redis_conn):
    """A real rq SimpleWorker serving the job queues (clicks first) for the length of one test."""
    worker = WorkerThread(*(django_rq.get_queue(name) for name in QUEUES)).start()
    yield worker.worker
    worker.stop()


@pytest.fixture(scope="session")
def asgi_server(django_db_setup, django_db_blocker):
    """The real ASGI application (HTTP + websockets) on a free loopback port."""
    with django_db_blocker.unblock():
        server = LiveServer().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def asgi_server_idle_at_teardown(request):
    """A test on the live server ends once the server has finished what the test made it serve:
    its database fixture is set up first here, so that it is flushed only after that (see
    LiveServer.wait_idle). What was being served before the test is not waited for: a consumer
    whose channel-layer receive swallowed its cancellation (a race in redis-py's read timeout)
    lives on as the process's receiver, serving the others."""
    if "asgi_server" not in request.fixturenames:
        yield
        return
    if "transactional_db" in request.fixturenames:
        request.getfixturevalue("transactional_db")
    server = request.getfixturevalue("asgi_server")
    before = server.serving()
    yield
    if not server.wait_idle(before):
        left = len(server.serving() - before)
        warnings.warn(f"the live server was still serving {left} task(s) 15 s after the test", stacklevel=1)


# --- libvirt ---------------------------------------------------------------------------------


@pytest.fixture
def test_conn():
    """libvirt's own test driver. Its state is shared in the process while any connection holds
    it (the hosts' connection pool does), so what tests count on is put back: default-pool running."""
    conn = libvirt.open("test:///default")
    pool = conn.storagePoolLookupByName("default-pool")
    if not pool.isActive():
        pool.create(0)
    yield conn
    conn.close()


@pytest.fixture(autouse=True)
def no_orphan_volumes(request):
    """A test on the real libvirtd leaves no instance volume behind: what it leaves is named (an
    error at its teardown) and removed, so that a later test's "leaves nothing" is about itself."""
    if "qemu_conn" not in request.fixturenames:
        yield
        return
    conn = request.getfixturevalue("qemu_conn")
    before = set(instance_volumes(conn, ""))
    yield
    left = sorted(set(instance_volumes(conn, "")) - before)
    if left:
        remove_volumes(conn, left)
        pytest.fail(f"the test left instance volumes in the pool (now removed): {left}")


@pytest.fixture(scope="session")
def qemu_conn():
    """The real libvirtd with QEMU. Not answering fails the run: make hypervisor starts it."""
    try:
        conn = libvirt.open(QEMU_URI)
    except libvirt.libvirtError as error:
        pytest.fail(f"libvirtd does not answer on {QEMU_URI}: {error}. Run make hypervisor.")
    if not all((GUEST_DIR / name).exists() for name in ("vmlinux", "vmlinuz", "initrd.img")):
        pytest.fail(f"the tiny test guest is not built in {GUEST_DIR}. Run make hypervisor.")
    remove_leftover_guests(conn)
    yield conn
    remove_leftover_guests(conn)
    conn.close()


@pytest.fixture(scope="session")
def booted_guest(qemu_conn):
    """One tiny guest booted for the session, its serial marker seen. Tests must not stop it."""
    guest = define_tiny_guest(qemu_conn)
    try:
        guest.wait_for_serial(MARKER, timeout=90)
        yield guest
    finally:
        guest.remove()


@pytest.fixture
def make_guest(qemu_conn):
    """Per-test guests with unique names, always removed at the end of the test."""
    guests = []

    def make(*, start: bool = True):
        guest = define_tiny_guest(qemu_conn, start=start)
        guests.append(guest)
        return guest

    yield make
    for guest in guests:
        guest.remove()


@pytest.fixture
def domain_using(qemu_conn):
    """domain_using(*paths, kernel="") -> the name of a new domain using those files, defined but
    never started (no CPU spent); undefined at the end of the test."""
    names = []

    def define(*paths: str, kernel: str = "") -> str:
        names.append(define_domain(qemu_conn, *paths, kernel=kernel))
        return names[-1]

    yield define
    for name in names:
        remove_domain(qemu_conn, name)


# --- Users -----------------------------------------------------------------------------------


def _user_with(username: str, perms: list[str]) -> User:
    user = User.objects.create_user(username, password=PASSWORD)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("admin", "admin@example.com", PASSWORD)


def _fleet_grant(user: User, role: str) -> User:
    Grant.objects.create(user=user, role=role)  # the whole fleet
    return user


@pytest.fixture
def operator(db):
    """An operator with a grant on the whole fleet."""
    return _fleet_grant(_user_with("operator", CAST["operator"]), Role.OPERATOR)


@pytest.fixture
def viewer(db):
    """A viewer with a grant on the whole fleet."""
    return _fleet_grant(_user_with("viewer", CAST["viewer"]), Role.VIEWER)


@pytest.fixture
def ungranted_operator(db):
    """An operator's permissions but no grant on anything."""
    return _user_with("ungranted", CAST["operator"])


@pytest.fixture
def outsider(db):
    return _user_with("outsider", CAST["outsider"])


@pytest.fixture
def client_for(client):
    """client_for(user) -> the Django test client logged in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login
