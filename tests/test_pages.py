"""Every page: who sees it, who does not."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hosts.models import Host, HostStatus

pytestmark = pytest.mark.django_db
PAGES = ["home", "host-list", "instance-list", "operation-list"]


@pytest.fixture
def hosts(db):
    return Host.objects.create(name="Embedded test host <b>&", uri="test:///default")


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_users_are_sent_to_login(client, page):
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("page", PAGES)
def test_viewer_sees_every_page(client_for, viewer, hosts, page):
    response = client_for(viewer).get(reverse(page))
    assert response.status_code == 200


@pytest.mark.parametrize("page", ["host-list", "instance-list", "operation-list"])
def test_outsider_is_refused(client_for, outsider, page):
    assert client_for(outsider).get(reverse(page)).status_code == 403


def test_outsider_home_shows_no_host(client_for, outsider, hosts):
    body = client_for(outsider).get(reverse("home")).content.decode()
    assert "Embedded test host" not in body
    assert "no access to any host" in body


def test_host_names_are_escaped(client_for, viewer, hosts):
    body = client_for(viewer).get(reverse("host-list")).content.decode()
    assert "Embedded test host &lt;b&gt;&amp;" in body
    assert "<b>&" not in body


def test_check_button_only_for_those_who_may(client_for, viewer, operator, hosts):
    assert "Check connection" not in client_for(viewer).get(reverse("host-list")).content.decode()
    assert "Check connection" in client_for(operator).get(reverse("host-list")).content.decode()


def test_admin_site_lists_hosts(client_for, admin_user, hosts):
    response = client_for(admin_user).get("/admin/hosts/host/")
    assert response.status_code == 200
    assert "test:///default" in response.content.decode()


def test_home_page_queries_stay_constant(client_for, viewer):
    """The hosts table and the dashboard (hosts up and down, the busiest, failures) whatever the number of hosts."""
    client, counts = client_for(viewer), []
    for first, last in ((0, 2), (2, 30)):
        for index in range(first, last):
            Host.objects.create(name=f"host-{index}", uri=f"test:///default?{index}",
                                status=HostStatus.UP if index % 2 else HostStatus.DOWN)  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 11, counts


def test_admin_never_shows_credentials_and_cannot_bypass_the_connection_test(client_for, admin_user):
    from hosts.credentials import encrypt

    host = Host.objects.create(name="h", uri="test:///default", credential_kind="password", username="u",
                               secret=encrypt("top-secret"))  # fmt: skip
    client = client_for(admin_user)
    body = client.get(f"/admin/hosts/host/{host.pk}/change/").content.decode()
    assert "top-secret" not in body and host.secret not in body
    assert client.get("/admin/hosts/host/add/").status_code == 403
    client.post(f"/admin/hosts/host/{host.pk}/change/", {"name": "h2", "uri": "qemu:///system", "console_address": ""})
    host.refresh_from_db()
    assert (host.name, host.uri) == ("h2", "test:///default")
