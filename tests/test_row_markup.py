"""What the rows of long tables show (config/markup.py) is what Django's own display gives."""

import pytest

from audit.models import AuditEntry
from config.markup import choice_label
from instances.models import Instance
from jobs.models import Operation


@pytest.mark.parametrize(("model", "name"), [(Instance, "state"), (Operation, "status"), (AuditEntry, "action"),
                                             (AuditEntry, "outcome")])  # fmt: skip
def test_a_choice_shows_as_get_display_shows_it(model, name):
    values = [value for value, _ in model._meta.get_field(name).flatchoices]
    assert len(values) >= 2
    for value in [*values, "unknown <b>", "", None]:
        obj = model(**{name: value})
        assert choice_label(obj, name) == getattr(obj, f"get_{name}_display")(), value
