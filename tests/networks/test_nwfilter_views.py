"""Network filter pages on the real host: define from XML and undefine run as operations."""

import pytest
from django.urls import reverse

from jobs.models import Operation, OperationStatus
from tests.networks.support import virsh
from tests.support.waiting import wait_for_operation

pytestmark = pytest.mark.django_db(transaction=True)


def filter_xml(name: str, body: str = "<rule action='drop' direction='in'><ip srcipaddr='10.252.0.9'/></rule>") -> str:
    return f"<filter name='{name}' chain='ipv4'>{body}</filter>"


def filters_on_host() -> list[str]:
    return [line.split()[1] for line in virsh("nwfilter-list").splitlines()[2:] if line.split()]


def test_a_filter_is_defined_shown_with_its_xml_and_undefined(client_for, operator, qemu_host, filter_names, rq_worker):
    client, name = client_for(operator), filter_names()
    list_url = reverse("nwfilter-list", kwargs={"host_pk": qemu_host.pk})

    response = client.post(reverse("nwfilter-define", kwargs={"host_pk": qemu_host.pk}), {"xml": filter_xml(name)})
    op = wait_for_operation(Operation.objects.get().pk)
    assert response["Location"] == reverse("operation-detail", args=[op.pk])
    assert op.status == OperationStatus.SUCCEEDED, op.error
    assert op.result["url"] == list_url and name in filters_on_host()
    page = client.get(list_url).content.decode()
    assert f'id="nwfilters" data-live-refresh="host-inventory:{qemu_host.pk}"' in page
    assert f"<details><summary>{name}</summary>" in page and "srcipaddr=&#x27;10.252.0.9&#x27;" in page

    undefine_url = reverse("nwfilter-undefine", kwargs={"host_pk": qemu_host.pk, "name": name})
    assert f"Undefine network filter {name}?" in client.get(undefine_url).content.decode()
    assert name in filters_on_host()
    client.post(undefine_url)
    op = wait_for_operation(Operation.objects.latest("pk").pk)
    assert op.status == OperationStatus.SUCCEEDED, op.error
    assert name not in filters_on_host() and name not in client.get(list_url).content.decode()


def test_filter_xml_libvirt_refuses_fails_the_operation_with_its_reason(
    client_for, operator, qemu_host, filter_names, rq_worker
):
    name = filter_names()
    xml = filter_xml(name, "<rule action='bogus' direction='in'/>")
    client_for(operator).post(reverse("nwfilter-define", kwargs={"host_pk": qemu_host.pk}), {"xml": xml})

    op = wait_for_operation(Operation.objects.get().pk)
    assert op.status == OperationStatus.FAILED
    assert "libvirt refused the filter: unsupported configuration: unknown rule action" in op.error
    assert name not in filters_on_host()


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<filter name='lvc-test-x'><rule", "not well-formed XML"),
        ("<network><name>lvc-test-x</name></network>", "root element must be <filter>, not <network>"),
        ("<filter chain='root'/>", "needs a name attribute"),
        ("<filter name='../../etc/x'/>", "not a valid name"),
        ("<filter name='x&quot;y'/>", "not a valid name"),
        ("<filter name='clean-traffic'/>", "already exists here. To change it, keep its <uuid>"),
        ("", "required"),
    ],
)
def test_bad_filter_xml_is_refused_with_a_message_and_starts_nothing(client_for, operator, qemu_host, xml, message):
    response = client_for(operator).post(reverse("nwfilter-define", kwargs={"host_pk": qemu_host.pk}), {"xml": xml})

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["xml"])
    assert not Operation.objects.exists()
