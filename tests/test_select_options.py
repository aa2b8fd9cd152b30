"""Filter options (config/options.py): every value and label escaped, the chosen one selected,
whatever the labels hold."""

from html import escape

import pytest

from config.options import select_options

LABELS = ["alpha", "<b>&\"'", "a\x00b", "\x00", "", "ü", "x" * 300]


def one_by_one(choices, selected) -> str:
    return "".join(
        f'<option value="{escape(str(value))}"{" selected" if value == selected else ""}>{escape(str(label))}</option>'
        for value, label in choices
    )


@pytest.mark.parametrize("count", [0, 1, 2, 7, 1000])
def test_options_are_escaped_and_the_chosen_one_selected(count):
    choices = [(n, LABELS[n % len(LABELS)] + str(n)) for n in range(count)]
    for selected in (None, 0, count - 1, str(count - 1)):
        assert select_options(choices, selected) == one_by_one(choices, selected)


def test_text_values_and_labels_holding_the_gap_are_escaped_one_by_one():
    choices = [("running", "Running"), ('"><script>', "a\x00b"), ("x\x00", "<i>")]
    assert select_options(choices, "running") == one_by_one(choices, "running")
    assert select_options(iter(choices), None) == one_by_one(choices, None)
