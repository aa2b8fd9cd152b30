"""The instance list and detail pages: database only, filters, sorting, live regions, and a fixed
number of SQL queries whatever the size of the inventory."""

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hosts.models import Host
from instances.models import Flavor, Image, Instance, InstanceState
from jobs.models import Operation, OperationStatus

pytestmark = pytest.mark.django_db
LIST = reverse("instance-list")


@pytest.fixture
def hosts(db):
    return [
        Host.objects.create(name="alpha", uri="test:///default", status="up"),
        Host.objects.create(name="beta", uri="test:///default?beta", status="up"),
    ]


@pytest.fixture
def flavor(db):
    return Flavor.objects.create(name="small", vcpus=2, memory_mib=2048)


def make(host, name, *, state=InstanceState.RUNNING, **fields) -> Instance:
    return Instance.objects.create(host=host, uuid=uuid.uuid4(), name=name, state=state, **fields)


def names_on(response) -> list[str]:
    """The instance names in the table rows, in page order."""
    body = response.content.decode()
    return re.findall(r'<tr data-instance-id="\d+">\s*<td><a href="[^"]+"><strong>([^<]*)</strong>', body)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# --- The list ----------------------------------------------------------------------------------


def test_the_list_shows_every_column_with_a_live_state_badge(client_for, viewer, hosts, flavor):
    instance = make(hosts[0], "web-1", vcpus=2, memory_mib=2048, flavor=flavor, autostart=True)
    body = client_for(viewer).get(LIST).content.decode()

    assert '<div id="instance-table" data-live-refresh="instances:all">' in body
    row = body[body.index(f'<tr data-instance-id="{instance.pk}">') :].split("</tr>")[0]
    assert reverse("instance-detail", args=[instance.pk]) in row and "web-1" in row
    assert reverse("host-detail", args=[hosts[0].pk]) in row and "alpha" in row
    assert '<span data-field="state" class="status status-running">Running</span>' in row
    assert "<td>2</td>" in row and "2.0 GiB" in row and "small" in row and "<td>yes</td>" in row


def test_names_from_the_inventory_are_escaped(client_for, viewer, hosts):
    make(hosts[0], "<b>bold</b>&")
    body = client_for(viewer).get(LIST).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;&amp;" in body and "<b>bold</b>" not in body


def test_the_list_uses_the_same_few_queries_for_5_and_120_instances(
    client_for, viewer, hosts, flavor, django_assert_max_num_queries
):
    client = client_for(viewer)
    for index in range(5):
        make(hosts[index % 2], f"vm-{index:03d}", flavor=flavor)
    with django_assert_max_num_queries(12):
        assert client.get(LIST).status_code == 200
    few = count_queries(client, f"{LIST}?state=running&sort=-memory&q=vm")

    for index in range(5, 120):
        make(hosts[index % 2], f"vm-{index:03d}", flavor=flavor)
    with django_assert_max_num_queries(12):
        assert client.get(LIST).status_code == 200
    assert count_queries(client, f"{LIST}?state=running&sort=-memory&q=vm") == few


def test_filters_by_host_and_state(client_for, viewer, hosts):
    make(hosts[0], "a-running")
    make(hosts[0], "a-off", state=InstanceState.SHUTOFF)
    make(hosts[1], "b-running")
    client = client_for(viewer)

    assert names_on(client.get(f"{LIST}?host={hosts[0].pk}")) == ["a-off", "a-running"]
    assert names_on(client.get(f"{LIST}?state=running")) == ["a-running", "b-running"]
    assert names_on(client.get(f"{LIST}?host={hosts[1].pk}&state=shutoff")) == []
    # nonsense filter values are ignored, not errors
    assert names_on(client.get(f"{LIST}?host=abc&state=<x>")) == ["a-off", "a-running", "b-running"]
    assert names_on(client.get(f"{LIST}?host=99999999999999999999999")) == ["a-off", "a-running", "b-running"]


def test_search_matches_part_of_the_name_or_the_exact_uuid(client_for, viewer, hosts):
    web = make(hosts[0], "Web-Frontend")
    make(hosts[1], "database")
    client = client_for(viewer)

    assert names_on(client.get(f"{LIST}?q=front")) == ["Web-Frontend"]
    assert names_on(client.get(f"{LIST}?q={web.uuid}")) == ["Web-Frontend"]
    assert names_on(client.get(f"{LIST}?q={str(web.uuid)[:8]}")) == []
    assert "No instance matches these filters." in client.get(f"{LIST}?q=%27%3Cnothing").content.decode()


def test_sorting_by_each_column_and_unknown_sorts_fall_back_to_name(client_for, viewer, hosts):
    now = timezone.now()
    make(hosts[1], "b", state=InstanceState.SHUTOFF, vcpus=4, memory_mib=512, created=now - timedelta(days=2))
    make(hosts[0], "c", state=InstanceState.PAUSED, vcpus=1, memory_mib=4096, created=now - timedelta(days=1))
    make(hosts[0], "a", state=InstanceState.RUNNING, vcpus=2, memory_mib=1024, created=now - timedelta(days=3))
    client = client_for(viewer)
    expected = {
        "name": ["a", "b", "c"],
        "-name": ["c", "b", "a"],
        "host": ["a", "c", "b"],
        "state": ["c", "a", "b"],
        "vcpus": ["c", "a", "b"],
        "-vcpus": ["b", "a", "c"],
        "memory": ["b", "a", "c"],
        "-memory": ["c", "a", "b"],
        "created": ["a", "b", "c"],
        "-created": ["c", "b", "a"],
        "bogus": ["a", "b", "c"],
        "-id;drop": ["a", "b", "c"],
    }
    for sort, names in expected.items():
        assert names_on(client.get(LIST, {"sort": sort})) == names, sort


def test_a_column_header_sorts_and_a_second_click_reverses(client_for, viewer, hosts):
    make(hosts[0], "x")
    client = client_for(viewer)
    assert '<a href="?sort=host">Host</a>' in client.get(LIST).content.decode()
    body = client.get(LIST, {"sort": "host", "state": "running"}).content.decode()
    assert 'aria-sort="ascending"><a href="?sort=-host&amp;state=running">Host</a> ▲' in body


def test_pages_of_50_keep_the_filters_in_their_links(client_for, viewer, hosts):
    for index in range(120):
        make(hosts[0], f"vm-{index:03d}", state=InstanceState.RUNNING if index % 2 else InstanceState.SHUTOFF)
    client = client_for(viewer)

    first = client.get(LIST, {"state": "shutoff", "sort": "-name"})
    assert names_on(first)[:2] == ["vm-118", "vm-116"] and len(names_on(first)) == 50
    body = first.content.decode()
    assert "Page 1 of 2 (60 instances)" in body
    assert 'href="?state=shutoff&amp;sort=-name&amp;page=2"' in body

    second = client.get(LIST, {"state": "shutoff", "sort": "-name", "page": 2})
    assert len(names_on(second)) == 10 and names_on(second)[-1] == "vm-000"
    assert 'href="?state=shutoff&amp;sort=-name&amp;page=1"' in second.content.decode()


def test_new_instance_button_only_for_those_who_may_add(client_for, viewer, admin_user, hosts):
    assert "New instance" not in client_for(viewer).get(LIST).content.decode()
    assert reverse("instance-create") in client_for(admin_user).get(LIST).content.decode()


# --- The detail page ---------------------------------------------------------------------------

DETAILS = {
    "vcpus": 2,
    "memory_mib": 1024,
    "boot": {"kernel": "/var/lib/images/vmlinuz", "initrd": "/var/lib/images/initrd", "cmdline": "console=ttyS0"},
    "disks": [
        {"target": "vda", "source": "/pool/abc-disk.qcow2", "device": "disk", "bus": "virtio", "format": "qcow2"},
        {"target": "hda", "source": "/pool/abc-config.iso", "device": "cdrom", "bus": "ide", "format": "raw"},
    ],
    "interfaces": [
        {
            "type": "network",
            "source": "default",
            "mac": "52:54:00:12:34:56",
            "model": "virtio",
            "target": "vnet3",
            "filter": "clean-traffic",
        },
    ],
    "graphics": [{"type": "vnc", "listen": "10.1.2.3", "port": 5901}],
    "serial_log": "/pool/abc-console.log",
}


@pytest.fixture
def detailed(hosts, flavor):
    image = Image.objects.create(name="debian-12")
    return make(hosts[0], "web-1", vcpus=2, memory_mib=1024, flavor=flavor, image=image, details=DETAILS)


def test_the_detail_page_shows_the_instance_its_disks_nics_and_consoles(client_for, viewer, detailed):
    body = client_for(viewer).get(reverse("instance-detail", args=[detailed.pk])).content.decode()

    assert f'id="instance-{detailed.pk}" data-live-refresh="instance:{detailed.pk}"' in body
    assert f'data-instance-id="{detailed.pk}"' in body
    assert '<span data-field="state" class="status status-running">Running</span>' in body
    for text in [str(detailed.uuid), reverse("host-detail", args=[detailed.host_id]), "small (2 vCPU", "debian-12",
                 "1.0 GiB", "/pool/abc-disk.qcow2", "virtio", "52:54:00:12:34:56", "clean-traffic", "vnet3",
                 "VNC (port 5901)", "/pool/abc-console.log", "console=ttyS0"]:  # fmt: skip
        assert text in body, text
    assert "10.1.2.3" not in body  # where the hypervisor listens is not the browser's business
    assert "Rescued" not in body


def test_a_rescued_instance_shows_a_badge_but_never_its_saved_definition(client_for, viewer, detailed):
    Instance.objects.filter(pk=detailed.pk).update(rescue_definition="<domain><name>SAVED-XML</name></domain>")
    body = client_for(viewer).get(reverse("instance-detail", args=[detailed.pk])).content.decode()
    assert "Rescued" in body and "SAVED-XML" not in body


def test_buttons_follow_the_state_and_the_users_rights(client_for, viewer, operator, admin_user, detailed):
    url = reverse("instance-detail", args=[detailed.pk])
    action = reverse("instance-action", args=[detailed.pk, "pause"]).removesuffix("pause/")

    viewer_page = client_for(viewer).get(url).content.decode()
    assert action not in viewer_page and "csrfmiddlewaretoken" not in viewer_page.split("<main")[1]

    page = client_for(operator).get(url).content.decode()
    assert f'<form method="post" action="{action}pause/" class="inline"' in page and "csrfmiddlewaretoken" in page
    # destructive ones are confirmed first: in place (htmx), else on the confirmation page (a GET)
    assert f'<form method="get" action="{action}stop/" class="inline"' in page and 'hx-confirm="Shut down ' in page
    assert f'<form method="get" action="{action}reboot/" class="inline"' in page
    assert f"{action}start/" not in page and f"{action}unpause/" not in page
    assert f"{action}delete/" not in page  # the operator may change but not delete

    assert f'<form method="get" action="{action}delete/"' in client_for(admin_user).get(url).content.decode()
    Instance.objects.filter(pk=detailed.pk).update(state=InstanceState.SHUTOFF)
    page = client_for(operator).get(url).content.decode()
    assert f"{action}start/" in page and f"{action}pause/" not in page


def test_the_detail_page_lists_the_last_10_operations_in_one_query(client_for, viewer, admin_user, detailed):
    client = client_for(viewer)
    url = reverse("instance-detail", args=[detailed.pk])
    other = make(detailed.host, "other")

    def add(target, count):
        for _ in range(count):
            Operation.objects.create(kind="instance.start", target_type="instance", target_id=str(target.pk),
                                     target_name=target.name, user=admin_user, host=target.host,
                                     status=OperationStatus.SUCCEEDED)  # fmt: skip

    add(detailed, 2)
    few = count_queries(client, url)
    add(detailed, 13)
    add(other, 3)
    body = client.get(url).content.decode()

    assert count_queries(client, url) == few
    assert body.count("<tr data-operation-id=") == 10
    assert f'data-live-scope="instance:{detailed.pk}"' in body and "data-live-operations" in body
    assert f"{reverse('operation-list')}?instance={detailed.pk}" in body
    newest = Operation.objects.filter(target_id=str(detailed.pk)).first()
    assert f'data-operation-id="{newest.pk}"' in body
    for op in Operation.objects.filter(target_id=str(other.pk)):  # newer, but another instance's
        assert f'data-operation-id="{op.pk}"' not in body
    assert client.get(reverse("instance-detail", args=[other.pk])).content.decode().count("<tr data-operation-id=") == 3


def test_the_pages_are_for_viewers_only(client, client_for, outsider, detailed):
    urls = (LIST, reverse("instance-detail", args=[detailed.pk]))
    for url in urls:
        assert client.get(url)["Location"].startswith(reverse("login"))
    for url in urls:
        assert client_for(outsider).get(url).status_code == 403


def test_a_missing_instance_is_404_and_posts_are_refused(client_for, viewer, detailed):
    client = client_for(viewer)
    assert client.get(reverse("instance-detail", args=[detailed.pk + 1000])).status_code == 404
    assert client.post(reverse("instance-detail", args=[detailed.pk])).status_code == 405
    assert client.post(LIST).status_code == 405
