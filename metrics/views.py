"""GET /metrics: off unless METRICS_ENABLED; from an address in METRICS_ALLOWED_ADDRESSES the whole
fleet, else with an API token (Authorization: Bearer) what that token's user may see."""

import ipaddress

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from rest_framework.exceptions import AuthenticationFailed

from accounts.scope import visible_hosts, visible_instances
from api.authentication import TokenAuthentication
from audit.services import client_address
from hosts.models import Host
from instances.models import Instance
from metrics.collector import FleetCollector


@require_GET
def metrics(request):
    if not settings.METRICS_ENABLED:
        raise Http404("Metrics are off (METRICS_ENABLED).")
    hosts, instances = Host.objects.all(), Instance.objects.all()
    if not _allowed_address(client_address(request)):
        try:
            found = TokenAuthentication().authenticate(request)
        except AuthenticationFailed as error:
            return HttpResponse(f"{error.detail}\n", status=401, content_type="text/plain")
        if found is None:
            return HttpResponse("Send an API token (Authorization: Bearer lvc_…), or scrape from an allowed address.\n",
                                status=401, content_type="text/plain")  # fmt: skip
        user = found[0]
        hosts, instances = visible_hosts(user, hosts), visible_instances(user, instances)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(hosts, instances))
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _allowed_address(address: str) -> bool:
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(network, strict=False) for network in settings.METRICS_ALLOWED_ADDRESSES)
