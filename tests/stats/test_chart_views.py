"""Chart data for a page in one request, for who may see the instance; the history goes with the instance."""

import uuid

import pytest
from django.urls import reverse

from api.models import ApiToken
from hosts.models import Host
from instances.models import Instance
from stats.history import History, stats_dir

pytestmark = pytest.mark.django_db


@pytest.fixture
def charted(settings, tmp_path):
    settings.STATS_DIR, settings.STATS_INTERVAL = tmp_path / "stats", 10
    host = Host.objects.create(name="charted", uri="test:///default")
    instance = Instance.objects.create(
        host=host,
        uuid=uuid.uuid4(),
        name="charted-guest",
        details={"disks": [{"target": "vda"}], "interfaces": [{"target": "vnet3"}]},
    )
    key = f"instance-{instance.uuid}"
    at = 1_800_000_000
    History(key, series=2).add(at, [42.0, 1024])
    History(f"{key}-disk-vda", series=4).add(at, [1, 2, 3, 4])
    History(f"{key}-nic-vnet3", series=4).add(at, [5, 6, None, 8])
    History(f"host-{host.pk}", series=4).add(at, [10, 20, 30, 40])
    return instance, at


def test_one_request_brings_the_instance_its_disks_and_nics(charted, client_for, admin_user, monkeypatch):
    instance, at = charted
    monkeypatch.setattr("stats.views.time.time", lambda: at + 5)
    data = client_for(admin_user).get(reverse("instance-charts", args=[instance.pk])).json()
    assert (
        data["range"] == "1h"
        and data["instance"]["times"] == [at]
        and data["instance"]["average"] == [[42.0], [1024.0]]
    )
    assert data["disks"]["vda"]["average"] == [[1.0], [2.0], [3.0], [4.0]]
    assert data["nics"]["vnet3"]["average"] == [[5.0], [6.0], [None], [8.0]]
    day = client_for(admin_user).get(reverse("instance-charts", args=[instance.pk]), {"range": "24h"}).json()
    assert day["instance"]["maximum"] == [[42.0], [1024.0]]
    host = client_for(admin_user).get(reverse("host-charts", args=[instance.host_id]), {"range": "30d"}).json()
    assert host["host"]["average"] == [[10.0], [20.0], [30.0], [40.0]]


def test_a_range_not_offered_is_refused(charted, client_for, admin_user):
    response = client_for(admin_user).get(reverse("instance-charts", args=[charted[0].pk]), {"range": "1y"})
    assert response.status_code == 400 and response.json() == {"error": "range must be one of 1h, 24h, 30d."}


def test_the_history_goes_with_the_instance_and_the_host(charted):
    instance, _at = charted
    instance.delete()
    assert sorted(path.stem for path in stats_dir().rglob("*.rrd")) == [f"host-{instance.host_id}"]
    instance.host.delete()
    assert not list(stats_dir().rglob("*.rrd"))


def test_the_api_gives_the_same_chart_data(charted, client, admin_user, monkeypatch):
    instance, at = charted
    monkeypatch.setattr("stats.views.time.time", lambda: at + 5)
    monkeypatch.setattr("api.charts.time.time", lambda: at + 5)
    _token, secret = ApiToken.issue(user=admin_user, name="grafana")
    signed = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    client.force_login(admin_user)
    on_page = client.get(reverse("instance-charts", args=[instance.pk]), {"range": "24h"}).json()
    client.logout()
    through_api = client.get(reverse("api-instance-charts", args=[instance.pk]), {"range": "24h"}, **signed).json()
    assert through_api == on_page and through_api["instance"]["maximum"] == [[42.0], [1024.0]]
    refused = client.get(reverse("api-host-charts", args=[instance.host_id]), {"range": "1y"}, **signed)
    assert refused.status_code == 400 and refused.json()["error"]["fields"] == {
        "range": ["Choose one of 1h, 24h, 30d."]
    }
