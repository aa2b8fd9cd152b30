"""The console ticket view: a permission check, a running instance, then a single-use ticket
and the proxy URL; it never calls libvirt (the instance sits on a host nobody could reach)."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.urls import reverse

from console import tickets
from hosts.models import Host
from instances.models import Instance, InstanceState

pytestmark = pytest.mark.django_db


@pytest.fixture
def instance(db):
    host = Host.objects.create(name="far", uri="qemu+tcp://192.0.2.1/system")  # never contacted
    return Instance.objects.create(
        host=host, uuid="5b7c2f0e-3c1d-4c7e-9a7e-0d3f6a1b2c3d", name="web-1", state=InstanceState.RUNNING
    )


def ticket_url(instance, kind="vnc") -> str:
    return reverse("console-ticket", args=[instance.pk, kind])


def test_operator_gets_a_proxy_url_with_a_single_use_ticket(client_for, operator, instance, settings):
    response = client_for(operator).post(ticket_url(instance))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["expires_in"] == tickets.TICKET_TTL == 60
    url = urlparse(body["url"])
    assert (url.scheme, url.netloc, url.path) == ("ws", f"testserver:{settings.CONSOLE_PROXY_PORT}", "/vnc")
    token = parse_qs(url.query)["token"][0]
    assert "192.0.2.1" not in body["url"]  # the browser never learns the hypervisor's address
    ticket = tickets.take(token, kind="vnc")
    assert (ticket.user_id, ticket.instance_id, ticket.kind) == (operator.pk, instance.pk, "vnc")
    assert ticket.password == body["password"] and len(body["password"]) == 8  # what the guest will ask for
    assert tickets.take(token, kind="vnc") is None


def test_a_spice_page_gets_one_ticket_per_channel_sharing_one_password(client_for, operator, instance):
    body = client_for(operator).post(ticket_url(instance, "spice"), {"channels": "6"}).json()
    tokens = {parse_qs(urlparse(url).query)["token"][0] for url in body["urls"]}
    assert len(tokens) == 6 and body["url"] == body["urls"][0]
    assert {tickets.take(token, kind="spice").password for token in tokens} == {body["password"]}
    again = client_for(operator).post(ticket_url(instance, "spice"), {"channels": "1"}).json()
    assert again["password"] != body["password"]  # every page load gets its own


@pytest.mark.parametrize("channels", ["0", "9", "many", "-1"])
def test_a_bad_channel_count_is_refused_and_issues_nothing(client_for, operator, instance, redis_conn, channels):
    response = client_for(operator).post(ticket_url(instance, "spice"), {"channels": channels})
    assert response.status_code == 400
    assert response.json() == {"error": "channels must be a number from 1 to 8."}
    assert not redis_conn.keys(tickets.PREFIX + "*")


def test_admin_gets_a_spice_ticket_on_https_as_wss(client_for, admin_user, instance, settings):
    body = client_for(admin_user).post(ticket_url(instance, "spice"), secure=True).json()
    assert body["url"].startswith(f"wss://testserver:{settings.CONSOLE_PROXY_PORT}/spice?token=")


def test_configured_proxy_url_is_used(client_for, operator, instance, settings):
    settings.CONSOLE_PROXY_URL = "wss://console.example.org/consoles"
    body = client_for(operator).post(ticket_url(instance)).json()
    assert body["url"].startswith("wss://console.example.org/consoles/vnc?token=")


def test_get_is_not_allowed(client_for, operator, instance, redis_conn):
    assert client_for(operator).get(ticket_url(instance)).status_code == 405
    assert not redis_conn.keys(f"{tickets.PREFIX}*")


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_users_without_the_console_permission_are_forbidden(request, client_for, instance, redis_conn, who):
    assert client_for(request.getfixturevalue(who)).post(ticket_url(instance)).status_code == 403
    assert not redis_conn.keys(f"{tickets.PREFIX}*")


def test_missing_instance_or_unknown_kind_is_not_found(client_for, operator, instance):
    client = client_for(operator)
    assert client.post(reverse("console-ticket", args=[instance.pk + 1000, "vnc"])).status_code == 404
    assert client.post(ticket_url(instance, "serial")).status_code == 404


def test_anonymous_is_sent_to_login(client, instance):
    response = client.post(ticket_url(instance))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_instance_not_running_is_refused_with_a_message(client_for, operator, instance, redis_conn):
    Instance.objects.filter(pk=instance.pk).update(state=InstanceState.SHUTOFF)
    response = client_for(operator).post(ticket_url(instance))
    assert response.status_code == 409
    assert response.json() == {"error": "web-1 is shut off: start it to open its console."}
    assert not redis_conn.keys(f"{tickets.PREFIX}*")


def test_post_without_csrf_token_is_refused(operator, instance):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    assert client.post(ticket_url(instance)).status_code == 403
