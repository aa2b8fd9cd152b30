"""Who may see and change networks and filters; methods, missing objects, no worker; pages read the database."""

import pytest
from django.urls import reverse

from hosts.models import Host
from jobs.models import Operation

pytestmark = pytest.mark.django_db(transaction=True)

CHANGES = [  # (URL name, takes a network/filter name, methods it answers)
    ("network-create", False, {"GET", "POST"}),
    ("network-start", True, {"POST"}),
    ("network-stop", True, {"POST"}),
    ("network-autostart", True, {"POST"}),
    ("network-delete", True, {"GET", "POST"}),
    ("nwfilter-define", False, {"GET", "POST"}),
    ("nwfilter-undefine", True, {"GET", "POST"}),
]


def url(name: str, host_pk: int, takes_name: bool, obj: str = "") -> str:
    kwargs = {"host_pk": host_pk}
    if takes_name:
        kwargs["name"] = obj or ("clean-traffic" if name.startswith("nwfilter") else "default")
    return reverse(name, kwargs=kwargs)


def test_viewers_see_both_lists_but_change_nothing(client_for, viewer, qemu_host):
    client = client_for(viewer)
    for name in ["network-list", "nwfilter-list"]:
        page = client.get(reverse(name, kwargs={"host_pk": qemu_host.pk})).content.decode()
        assert "default" in page or "clean-traffic" in page
        assert "csrfmiddlewaretoken" not in page.split("<main", 1)[1]  # no change buttons
    for name, takes_name, methods in CHANGES:
        for method in methods:
            response = getattr(client, method.lower())(url(name, qemu_host.pk, takes_name), {"autostart": "on"})
            assert response.status_code == 403, (name, method)
    assert not Operation.objects.exists()


def test_outsiders_and_anonymous_see_nothing(client, client_for, outsider, qemu_host):
    urls = [reverse(name, kwargs={"host_pk": qemu_host.pk}) for name in ["network-list", "nwfilter-list"]]
    for list_url in urls:
        response = client.get(list_url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for list_url in urls:
        assert client_for(outsider).get(list_url).status_code == 403


def test_wrong_methods_are_405(client_for, operator, qemu_host):
    client = client_for(operator)
    for name, takes_name, methods in CHANGES:
        for method in {"GET", "PUT", "DELETE"} - methods:
            response = getattr(client, method.lower())(url(name, qemu_host.pk, takes_name))
            assert response.status_code == 405, (name, method)
    assert client.post(reverse("network-list", kwargs={"host_pk": qemu_host.pk})).status_code == 405
    assert not Operation.objects.exists()


def test_missing_hosts_networks_and_filters_are_404(client_for, operator, qemu_host, rq_worker):
    client = client_for(operator)
    for name in ["network-list", "nwfilter-list"]:
        assert client.get(reverse(name, kwargs={"host_pk": 4242})).status_code == 404
    for name, takes_name, methods in CHANGES:
        for method in methods:
            assert getattr(client, method.lower())(url(name, 4242, takes_name)).status_code == 404
            if takes_name:
                missing = url(name, qemu_host.pk, True, "lvc-test-missing")
                assert getattr(client, method.lower())(missing, {"autostart": "on"}).status_code == 404
    assert not Operation.objects.exists()


def test_without_a_worker_changes_are_refused_with_a_message(client_for, operator, qemu_host):
    response = client_for(operator).post(url("network-stop", qemu_host.pk, True), follow=True)
    assert "No job worker is running" in response.content.decode()
    assert not Operation.objects.exists()


def test_a_bad_autostart_value_starts_nothing(client_for, operator, qemu_host, rq_worker):
    response = client_for(operator).post(url("network-autostart", qemu_host.pk, True), {"autostart": "1"}, follow=True)
    assert "autostart should be on or off" in response.content.decode()
    assert not Operation.objects.exists()


def test_pages_read_the_inventory_from_the_database_only(client_for, viewer, qemu_host):
    """A host that does not answer still shows what was last read."""
    gone = Host.objects.create(name="gone", uri="qemu+tcp://127.0.0.1:1/system", inventory=qemu_host.inventory)
    client = client_for(viewer)
    assert "virbr0" in client.get(reverse("network-list", kwargs={"host_pk": gone.pk})).content.decode()
    filters = client.get(reverse("nwfilter-list", kwargs={"host_pk": gone.pk})).content.decode()
    assert "clean-traffic" in filters and "no-mac-spoofing" in filters
