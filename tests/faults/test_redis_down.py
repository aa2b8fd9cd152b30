"""Redis stopped under a running console (the web and a worker as real processes, on a private
Redis): every page still renders and says live updates and operations are unavailable, an action
is refused with a clear message and changes nothing, never a 500; when Redis is back, the worker
is registered again by itself and the next action runs."""

import re
from contextlib import contextmanager

import libvirt
import pytest
import redis
import requests
from django.conf import settings
from django.test import Client
from rq import Worker

from hosts.models import Host, HostStatus
from instances.models import Instance, InstanceState
from instances.operation_support import lock_key
from jobs.models import Operation, OperationStatus
from tests.support.processes import RedisServer, WebProcess, WorkerProcess, process_env
from tests.support.waiting import wait_for_operation, wait_until

pytestmark = pytest.mark.django_db(transaction=True)  # the processes see committed rows only
BANNER = "Redis does not answer"


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def processes(redis_server, tmp_path):
    """The web and a worker, both on the private Redis."""
    env = process_env(TEST_REDIS_URL=redis_server.url)
    web = WebProcess(tmp_path / "web.log", env=env).start()
    worker = WorkerProcess(tmp_path / "worker.log", env=env, redis_url=redis_server.url).start()
    yield web, worker
    worker.stop()
    web.stop()


@pytest.fixture
def lab(db):
    """An instance of libvirt's test driver ("test", running), as every process of the console sees it."""
    host = Host.objects.create(name="lab", uri="test:///default", status=HostStatus.UP)
    uuid = libvirt.open("test:///default").lookupByName("test").UUIDString()
    return Instance.objects.create(host=host, uuid=uuid, name="test", state=InstanceState.RUNNING)


def logged_in(web: WebProcess, user) -> requests.Session:
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    return session


def post_action(session: requests.Session, web: WebProcess, instance: Instance, name: str) -> requests.Response:
    page = session.get(f"{web.url}/instances/{instance.pk}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(f"{web.url}/instances/{instance.pk}/action/{name}/", data={"csrfmiddlewaretoken": token},
                        headers={"Referer": page.url})  # fmt: skip


def test_pages_render_and_actions_are_refused_while_redis_is_down_then_work_again(
    processes, redis_server, lab, admin_user
):
    web, worker = processes
    session = logged_in(web, admin_user)
    pages = ["/", "/instances/", f"/instances/{lab.pk}/", "/operations/", "/hosts/", "/audit/"]
    for path in pages:
        assert session.get(web.url + path).status_code == 200

    redis_server.stop()
    for path in pages:
        response = session.get(web.url + path)
        assert response.status_code == 200, f"{path}: {response.status_code}"
        assert BANNER in response.text, path
    refused = post_action(session, web, lab, "pause")
    assert refused.status_code == 200 and refused.url.endswith(f"/instances/{lab.pk}/")  # back on its page
    assert "The job queue (Redis) does not answer" in refused.text and "Nothing was changed" in refused.text
    assert not Operation.objects.exists()

    redis_server.start()  # its data kept; the worker registers again by itself
    queue_redis = redis.Redis.from_url(redis_server.url)
    wait_until(lambda: any(w.pid == worker.pid for w in Worker.all(connection=queue_redis)), timeout=40,
               what=lambda: f"the worker registered again:\n{worker.log()[-2000:]}")  # fmt: skip
    assert BANNER not in session.get(f"{web.url}/instances/").text
    accepted = post_action(session, web, lab, "pause")
    assert accepted.status_code == 200 and "/operations/" in accepted.url
    op = wait_for_operation(Operation.objects.get().pk, timeout=30)
    assert op.status == OperationStatus.SUCCEEDED, op.error


@contextmanager
def waiting_shutdown(redis_server, spawn, tiny_flavor, admin_user, tmp_path, *, timeout: int):
    """The web and a worker on the private Redis, and the graceful shutdown of a guest that ignores
    the power button waiting (POWER_OFF_TIMEOUT `timeout` s, then forced off): (session, web,
    worker, instance, operation)."""
    tiny_flavor.extra_specs = {"hw:acpi": "false"}
    tiny_flavor.save()
    instance = spawn(flavor=tiny_flavor)
    env = process_env(TEST_REDIS_URL=redis_server.url, POWER_OFF_TIMEOUT=str(timeout))
    web = WebProcess(tmp_path / "web.log", env=env).start()
    worker = WorkerProcess(tmp_path / "worker.log", env=env, redis_url=redis_server.url).start()
    try:
        session = logged_in(web, admin_user)
        assert "/operations/" in post_action(session, web, instance, "stop").url
        op = Operation.objects.get(kind="instance.stop")
        wait_until(lambda: "Power button pressed" in Operation.objects.get(pk=op.pk).message, timeout=60,
                   what=lambda: f"the shutdown waiting:\n{worker.log()[-2000:]}")  # fmt: skip
        yield session, web, worker, instance, op
    finally:
        worker.stop()
        web.stop()


def starts_again(session: requests.Session, web: WebProcess, instance: Instance) -> None:
    """The next action on the instance is taken (not refused as busy) and runs."""
    started = post_action(session, web, instance, "start")
    assert "/operations/" in started.url, started.text[:2000]
    assert wait_for_operation(Operation.objects.get(kind="instance.start").pk, timeout=60).status == "succeeded"


@pytest.mark.qemu
def test_redis_restarted_while_a_job_runs_the_job_still_ends_and_frees_its_instance(
    redis_server, spawn, tiny_flavor, admin_user, qemu_conn, tmp_path
):
    """A graceful shutdown of a guest that ignores the power button is waiting (POWER_OFF_TIMEOUT
    20 s, then forced off) when Redis stops and starts again (its data kept): the job ends as it
    would have, the instance is free for the next action, and the database agrees with virsh."""
    with waiting_shutdown(redis_server, spawn, tiny_flavor, admin_user, tmp_path, timeout=20) as (
        session, web, _, instance, op
    ):  # fmt: skip
        redis_server.stop()
        assert BANNER in session.get(f"{web.url}/instances/{instance.pk}/").text
        redis_server.start()

        op = wait_for_operation(op.pk, timeout=90)
        assert (op.status, op.message) == (OperationStatus.SUCCEEDED, "Forced off after 20 s"), op.error
        assert qemu_conn.lookupByName(instance.name).state()[0] == libvirt.VIR_DOMAIN_SHUTOFF
        wait_until(lambda: Instance.objects.get(pk=instance.pk).state == InstanceState.SHUTOFF, timeout=10,
                   what="the database agreeing with virsh")  # fmt: skip
        starts_again(session, web, instance)


@pytest.mark.qemu
def test_redis_away_as_a_job_ends_the_job_still_succeeds_and_frees_its_instance_once_redis_is_back(
    redis_server, spawn, tiny_flavor, admin_user, qemu_conn, tmp_path
):
    """Redis stops while a graceful shutdown waits (the guest ignores the power button) and stays
    away while the job forces the guest off, re-reads it and lets go of the instance: the job still
    succeeds (the re-read's device figures are the monitor's to keep), and lets go of the instance
    once Redis is back (Redis keeps the claim across its restart: left there, the next action would
    be refused as busy until it expired)."""
    with waiting_shutdown(redis_server, spawn, tiny_flavor, admin_user, tmp_path, timeout=5) as (
        session, web, worker, instance, op
    ):  # fmt: skip
        redis_server.stop()
        letting_go = f"claim {lock_key(instance.pk)}: Redis does not answer"
        wait_until(lambda: letting_go in worker.log() or Operation.objects.get(pk=op.pk).finished, timeout=60,
                   what=lambda: f"the job at its end:\n{worker.log()[-3000:]}")  # fmt: skip
        assert qemu_conn.lookupByName(instance.name).state()[0] == libvirt.VIR_DOMAIN_SHUTOFF
        redis_server.start()

        op = wait_for_operation(op.pk, timeout=90)
        assert (op.status, op.message) == (OperationStatus.SUCCEEDED, "Forced off after 5 s"), op.error
        assert not redis.Redis.from_url(redis_server.url).exists(lock_key(instance.pk))
        assert Instance.objects.get(pk=instance.pk).state == InstanceState.SHUTOFF
        starts_again(session, web, instance)
