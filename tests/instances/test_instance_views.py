"""The views that change instances: actions (with a confirmation page for destructive ones) and
the create form. Each queues an operation or refuses with a message; none calls libvirt."""

import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from hosts.credentials import decrypt
from hosts.models import Host
from instances.models import Flavor, Image, Instance, InstanceState
from instances.services import request_operation
from jobs.models import Operation

pytestmark = pytest.mark.django_db
CREATE = reverse("instance-create")


@pytest.fixture
def host(db):
    """A host with a hypervisor (create refuses libvirt's test driver, which cannot run guests);
    nothing listens at its socket: a job that runs fails at once, sending nothing anywhere."""
    networks = [{"name": "default", "active": True}, {"name": "isolated", "active": True}]
    return Host.objects.create(name="alpha", uri="qemu+unix:///system?socket=/nonexistent/lvc-test.sock",
                               status="up", inventory={"networks": networks})  # fmt: skip


@pytest.fixture
def flavor(db):
    return Flavor.objects.create(name="small", vcpus=1, memory_mib=256)


@pytest.fixture
def image(db):
    return Image.objects.create(name="debian")


@pytest.fixture
def running(host, flavor, image):
    return Instance.objects.create(host=host, uuid=uuid.uuid4(), name="web-1", state=InstanceState.RUNNING,
                                   flavor=flavor, image=image)  # fmt: skip


@pytest.fixture
def creator(operator):
    """The operator, allowed to add instances too."""
    operator.user_permissions.add(Permission.objects.get(content_type__app_label="instances", codename="add_instance"))
    return operator


def action_url(instance, name: str) -> str:
    return reverse("instance-action", args=[instance.pk, name])


def messages_of(response) -> str:
    return " ".join(str(message) for message in response.wsgi_request._messages)


# --- Actions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "params"),
    [("pause", "instance.pause", {}), ("suspend", "instance.suspend", {}), ("force-stop", "instance.stop",
     {"force": True}), ("hard-reboot", "instance.reboot", {"hard": True}), ("autostart-on", "instance.autostart",
     {"enabled": True})],
)  # fmt: skip
def test_an_action_post_queues_its_operation_and_shows_it(client_for, operator, running, rq_worker, name, kind, params):
    response = client_for(operator).post(action_url(running, name))

    op = Operation.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("operation-detail", args=[op.pk])
    assert (op.kind, op.params, op.user, op.host) == (kind, params, operator, running.host)
    assert (op.target_type, op.target_id, op.target_name) == ("instance", str(running.pk), "web-1")


@pytest.mark.parametrize("name", ["stop", "force-stop", "reboot", "hard-reboot", "nmi", "rescue", "delete"])
def test_destructive_actions_ask_first_and_only_the_post_queues(client_for, admin_user, running, rq_worker, name):
    client = client_for(admin_user)
    page = client.get(action_url(running, name))

    body = page.content.decode()
    assert page.status_code == 200 and "web-1?" in body and "csrfmiddlewaretoken" in body
    assert f'<form method="post" action="{action_url(running, name)}">' in body
    assert not Operation.objects.exists()
    assert client.post(action_url(running, name)).status_code == 302
    assert Operation.objects.count() == 1


def test_the_confirmation_says_what_will_happen(client_for, operator, running):
    body = client_for(operator).get(action_url(running, "force-stop")).content.decode()
    assert "like pulling the plug" in body and reverse("instance-detail", args=[running.pk]) in body


def test_actions_without_confirmation_refuse_get_and_every_action_refuses_other_methods(client_for, operator, running):
    client = client_for(operator)
    assert client.get(action_url(running, "pause")).status_code == 405
    for name in ("pause", "stop", "delete"):
        assert client.put(action_url(running, name)).status_code == 405
        assert client.delete(action_url(running, name)).status_code == 405
    assert not Operation.objects.exists()


def test_an_unknown_action_or_instance_is_404(client_for, admin_user, running, rq_worker):
    client = client_for(admin_user)
    assert client.post(action_url(running, "explode")).status_code == 404
    assert client.get(action_url(running, "<script>")).status_code == 404
    assert client.post(reverse("instance-action", args=[running.pk + 1000, "pause"])).status_code == 404
    assert client.get(reverse("instance-action", args=[running.pk + 1000, "stop"])).status_code == 404
    assert not Operation.objects.exists()


def test_viewers_and_outsiders_may_not_act_and_the_operator_may_not_delete(
    client_for, viewer, outsider, operator, running, rq_worker
):
    for user in (viewer, outsider):
        client = client_for(user)
        assert client.post(action_url(running, "pause")).status_code == 403
        assert client.get(action_url(running, "stop")).status_code == 403
    operator_client = client_for(operator)
    assert operator_client.get(action_url(running, "delete")).status_code == 403
    assert operator_client.post(action_url(running, "delete")).status_code == 403
    assert not Operation.objects.exists()


def test_anonymous_users_are_sent_to_login(client, running):
    for method in (client.get, client.post):
        response = method(action_url(running, "stop"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(CREATE)["Location"].startswith(reverse("login"))
    assert client.post(CREATE, {"name": "x"})["Location"].startswith(reverse("login"))


def test_the_action_posts_need_the_csrf_token(operator, running, rq_worker):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    assert client.post(action_url(running, "pause")).status_code == 403
    assert not Operation.objects.exists()


def test_an_action_the_state_does_not_allow_is_refused_with_a_message(client_for, operator, running, rq_worker):
    client = client_for(operator)
    for name in ("start", "unpause", "resume", "unrescue"):
        response = client.post(action_url(running, name))
        assert response["Location"] == reverse("instance-detail", args=[running.pk])
        assert "not possible while web-1 is running" in messages_of(response)
    assert client.get(action_url(running, "unrescue"))["Location"] == reverse("instance-detail", args=[running.pk])
    assert not Operation.objects.exists()


def test_a_second_action_while_one_is_queued_is_refused_as_busy(client_for, operator, admin_user, running, rq_worker):
    request_operation(instance=running, kind="instance.pause", user=admin_user)
    response = client_for(operator).post(action_url(running, "force-stop"))

    assert response["Location"] == reverse("instance-detail", args=[running.pk])
    assert "Busy: Pause instance is queued on web-1" in messages_of(response)
    assert Operation.objects.count() == 1
    page = client_for(operator).get(response["Location"]).content.decode()
    assert "Busy: Pause instance is queued" in page


def test_a_button_on_the_detail_page_queues_in_place_and_gets_a_line_to_show(
    client_for, operator, admin_user, running, rq_worker
):
    """The detail page posts its buttons with htmx: it stays, and live events show the rest."""
    client = client_for(operator)
    detail = client.get(reverse("instance-detail", args=[running.pk])).content.decode()
    assert '<div id="instance-flash" aria-live="polite"></div>' in detail
    assert f'hx-post="{action_url(running, "pause")}" hx-target="#instance-flash"' in detail

    response = client.post(action_url(running, "pause"), HTTP_HX_REQUEST="true")
    op = Operation.objects.get()
    body = response.content.decode()
    assert response.status_code == 200 and 'class="flash flash-info"' in body
    assert "Pause instance of web-1:" in body and reverse("operation-detail", args=[op.pk]) in body
    assert f'data-operation-id="{op.pk}"' in body and 'data-field="status"' in body and ">Queued<" in body

    busy = client.post(action_url(running, "suspend"), HTTP_HX_REQUEST="true").content.decode()
    assert 'class="flash flash-error" role="alert">Busy: Pause instance is queued on web-1' in busy
    refused = client.post(action_url(running, "start"), HTTP_HX_REQUEST="true").content.decode()
    assert "Start is not possible while web-1 is running." in refused
    assert Operation.objects.count() == 1


def test_without_a_worker_the_action_is_refused_with_a_message(client_for, operator, running):
    response = client_for(operator).post(action_url(running, "pause"))
    assert response["Location"] == reverse("instance-detail", args=[running.pk])
    assert "No job worker is running" in messages_of(response)
    assert not Operation.objects.exists()


def test_rescue_offers_the_images_with_the_instances_own_preselected(client_for, operator, running, image, rq_worker):
    other = Image.objects.create(name="rescue-live")
    client = client_for(operator)
    body = client.get(action_url(running, "rescue")).content.decode()
    assert f'<option value="{image.pk}" selected>debian</option>' in body and "rescue-live" in body

    assert client.post(action_url(running, "rescue"), {"image": "999999"}).status_code == 200
    assert not Operation.objects.exists()
    client.post(action_url(running, "rescue"), {"image": other.pk})
    assert Operation.objects.get().params == {"image_id": other.pk}


def test_rescue_without_an_image_of_its_own_needs_a_choice(client_for, operator, running, rq_worker):
    Instance.objects.filter(pk=running.pk).update(image=None)
    response = client_for(operator).post(action_url(running, "rescue"), {"image": ""})
    assert "Choose a rescue image" in response.content.decode()
    assert not Operation.objects.exists()


# --- Create ------------------------------------------------------------------------------------


def ssh_key(kind: str = "ed25519") -> str:
    private = ed25519.Ed25519PrivateKey.generate() if kind == "ed25519" else ec.generate_private_key(ec.SECP256R1())
    return private.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode() + " me@laptop"


@pytest.fixture
def form(host, flavor, image) -> dict:
    return {"host": host.pk, "name": "web-2", "flavor": flavor.pk, "image": image.pk, "networks": ["default"],
            "admin_password": "pa'ss <w>ord", "ssh_keys": f"{ssh_key()}\r\n\r\n{ssh_key('ecdsa')}\r\n",
            "file_path": "/etc/motd", "file_content": "hello\r\nworld\r\n", "start": "on"}  # fmt: skip


def test_create_records_the_instance_and_queues_its_spawn(client_for, creator, form, host, rq_worker):
    response = client_for(creator).post(CREATE, form)

    op = Operation.objects.get()
    assert response["Location"] == reverse("operation-detail", args=[op.pk])
    instance = Instance.objects.get()
    assert (instance.name, instance.host, instance.state, instance.vcpus) == ("web-2", host, "building", 1)
    assert (op.kind, op.target_id, op.host, op.user) == ("instance.spawn", str(instance.pk), host, creator)
    assert op.params["networks"] == ["default"] and op.params["start"] is True
    assert op.params["ssh_keys"] == [line for line in form["ssh_keys"].split("\r\n") if line]
    assert op.params["files"] == [["/etc/motd", "hello\nworld\n"]]
    assert "pa'ss" not in str(op.params) and decrypt(op.params["admin_password"]) == "pa'ss <w>ord"


def test_create_without_start_networks_keys_or_file(client_for, creator, form, rq_worker):
    data = {**form, "networks": [], "ssh_keys": "", "admin_password": "", "file_path": "", "file_content": ""}
    del data["start"]
    client_for(creator).post(CREATE, data)
    params = Operation.objects.get().params
    assert (params["start"], params["networks"], params["ssh_keys"], params["files"]) == (False, [], [], [])


def test_a_test_driver_host_is_refused_with_a_sentence(client_for, creator, form, host, rq_worker):
    simulated = Host.objects.create(name="embedded", uri="test:///default", status="up",
                                    inventory={"networks": host.inventory["networks"]})  # fmt: skip
    response = client_for(creator).post(CREATE, {**form, "host": simulated.pk})
    assert "embedded is libvirt&#x27;s test driver: it only simulates guests and cannot run one." in (
        response.content.decode()
    )
    assert not Instance.objects.exists() and not Operation.objects.exists()


def test_an_inactive_network_is_not_offered_and_refused(client_for, creator, form, host, rq_worker):
    inventory = {"networks": [*host.inventory["networks"], {"name": "sleeping", "active": False}]}
    Host.objects.filter(pk=host.pk).update(inventory=inventory)
    client = client_for(creator)
    assert '<option value="sleeping">' not in client.get(CREATE).content.decode()
    response = client.post(CREATE, {**form, "networks": ["sleeping"]})
    assert "sleeping is not one of the available choices" in str(response.context["form"].errors["networks"])
    assert not Operation.objects.exists()


def test_the_form_offers_only_hosts_that_are_up_and_starts_checked(client_for, creator, host):
    Host.objects.create(name="down-host", uri="test:///default?down", status="down")
    body = client_for(creator).get(CREATE).content.decode()
    assert "alpha" in body and "down-host" not in body
    assert 'type="password" name="admin_password"' in body
    assert 'name="start" id="id_start" checked' in body
    assert '<option value="isolated">isolated</option>' in body


HOSTILE = [
    ({"name": "a'b"}, "name", "not a valid name"),
    ({"name": '<script>alert("x")</script>'}, "name", "not a valid name"),
    ({"name": "über"}, "name", "not a valid name"),
    ({"name": "../etc"}, "name", "not a valid name"),
    ({"name": ".hidden"}, "name", "not a valid name"),
    ({"name": "a" * 101}, "name", "at most 100 characters"),
    ({"name": ""}, "name", "This field is required"),
    ({"name": "taken"}, "name", "already exists on alpha"),
    ({"host": "99999999999999999999999999"}, "host", "valid choice"),
    ({"host": "-1"}, "host", "valid choice"),
    ({"host": "abc"}, "host", "valid choice"),
    ({"host": ""}, "host", "This field is required"),
    ({"flavor": "1e9"}, "flavor", "valid choice"),
    ({"image": ""}, "image", "This field is required"),
    ({"networks": ["nope"]}, "networks", "valid choice"),
    ({"networks": ["only-on-beta"]}, "networks", "alpha has no active network only-on-beta"),
    ({"ssh_keys": "ssh-rsa notbase64!!"}, "ssh_keys", "not base64"),
    ({"ssh_keys": "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ== x"}, "ssh_keys", "not a ssh-ed25519 key"),
    ({"ssh_keys": "-----BEGIN OPENSSH PRIVATE KEY-----"}, "ssh_keys", "not an OpenSSH public key"),
    ({"ssh_keys": 'command="rm -rf /" ssh-ed25519 AAAA'}, "ssh_keys", "not an OpenSSH public key"),
    ({"file_path": "etc/motd"}, "file_path", "absolute path"),
    ({"file_path": "/etc/../shadow"}, "file_path", "absolute path"),
    ({"file_path": "/etc/x\x00y"}, "file_path", "Null characters"),
    ({"file_path": "/etc/x\x01y"}, "file_path", "absolute path"),
    ({"file_path": "", "file_content": "x"}, "file_path", "Enter where the file goes"),
    ({"file_content": "x" * (64 * 1024 + 1)}, "file_content", "larger than 64 KiB"),
    ({"file_content": "é" * (32 * 1024 + 1)}, "file_content", "larger than 64 KiB"),
    ({"admin_password": "line\nbreak"}, "admin_password", "control characters"),
]


def test_hostile_input_is_refused_with_a_message_and_creates_nothing(client_for, creator, form, host, rq_worker):
    """One worker for every case: the refusal comes from the form, not from a missing worker."""
    Instance.objects.create(host=host, uuid=uuid.uuid4(), name="taken")
    Host.objects.create(name="beta", uri="test:///default?b", status="up",
                        inventory={"networks": [{"name": "only-on-beta", "active": True}]})  # fmt: skip
    client = client_for(creator)
    for overrides, field, message in HOSTILE:
        response = client.post(CREATE, {**form, **overrides})

        errors = response.context["form"].errors
        assert response.status_code == 200, overrides
        assert message in str(errors.get(field, "")), (overrides, errors)
        assert Instance.objects.count() == 1 and Operation.objects.count() == 0, overrides
        assert "pa&#x27;ss" not in response.content.decode() and "pa'ss" not in response.content.decode()


def test_a_host_that_is_down_is_refused(client_for, creator, form, host, rq_worker):
    Host.objects.filter(pk=host.pk).update(status="down")
    response = client_for(creator).post(CREATE, form)
    assert "valid choice" in str(response.context["form"].errors["host"])
    assert not Instance.objects.exists() and not Operation.objects.exists()


def test_an_empty_post_shows_every_required_field(client_for, creator, host):
    response = client_for(creator).post(CREATE, {})
    assert set(response.context["form"].errors) == {"host", "name", "flavor", "image"}
    assert not Instance.objects.exists()


def test_without_a_worker_create_is_refused_and_leaves_no_row(client_for, creator, form):
    response = client_for(creator).post(CREATE, form)
    assert response.status_code == 200 and "No job worker is running" in response.content.decode()
    assert not Instance.objects.exists() and not Operation.objects.exists()


def test_only_those_who_may_add_instances_see_the_form(
    client_for, viewer, ungranted_operator, outsider, form, rq_worker
):
    assert client_for(ungranted_operator).get(CREATE).status_code == 200  # operators may, on hosts they operate
    assert client_for(ungranted_operator).post(CREATE, form).status_code == 200  # ...and this host is not one
    for user in (viewer, outsider):
        client = client_for(user)
        assert client.get(CREATE).status_code == 403
        assert client.post(CREATE, form).status_code == 403
    assert not Instance.objects.exists() and not Operation.objects.exists()


def test_create_refuses_other_methods(client_for, creator):
    client = client_for(creator)
    assert client.put(CREATE).status_code == 405
    assert client.delete(CREATE).status_code == 405
