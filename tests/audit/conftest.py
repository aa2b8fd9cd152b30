import uuid

import pytest

from audit.models import AuditEntry
from hosts.models import Host
from instances.models import Instance
from tests.support.waiting import wait_until


@pytest.fixture
def test_host(db):
    return Host.objects.create(name="Embedded test host", uri="test:///default")


@pytest.fixture
def instance(test_host):
    return Instance.objects.create(host=test_host, uuid=uuid.uuid4(), name="web-1")


def wait_for_entry(*, timeout: float = 10, **filters) -> AuditEntry:
    """The audit entry matching `filters` once it exists (the worker writes it in another thread)."""

    def missing() -> str:
        return f"audit entry {filters}; found {list(AuditEntry.objects.values_list('action', 'outcome', 'detail'))}"

    return wait_until(lambda: AuditEntry.objects.filter(**filters).first(), timeout=timeout, what=missing)


def all_text() -> str:
    """Every field of every audit entry, for checking that no secret ever lands there."""
    return "\n".join(" ".join(str(value) for value in row) for row in AuditEntry.objects.values_list())
