"""Conditions built from a field, an operator and a value: dotted paths read, values parsed
as JSON, missing fields and unorderable values refused, nothing evaluated."""

from __future__ import annotations

import pytest

from workbench.conditions import OPERATORS, condition, parse_value, value_at
from workbench.errors import InvalidFilter

STATE = {
    "balance": 120,
    "status": "active",
    "paused": False,
    "customer": {"address": {"city": "Oslo"}},
    "items": [{"price": 5}, {"price": 7}],
}


def test_a_dotted_path_reads_nested_objects_and_list_items() -> None:
    assert value_at(STATE, "customer.address.city") == "Oslo"
    assert value_at(STATE, "items[1].price") == 7


def test_a_path_that_leads_nowhere_raises_key_or_index_error() -> None:
    with pytest.raises(KeyError):
        value_at(STATE, "customer.phone")
    with pytest.raises(IndexError):
        value_at(STATE, "items[5].price")


def test_typed_values_are_parsed_as_json_and_other_text_stays_text() -> None:
    assert parse_value("5") == 5
    assert parse_value("2.5") == 2.5
    assert parse_value("true") is True
    assert parse_value("null") is None
    assert parse_value('"5"') == "5"
    assert parse_value("active") == "active"


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("balance", ">", "100", True),
        ("balance", "<=", "100", False),
        ("balance", "==", "120", True),
        ("status", "==", "active", True),
        ("status", "!=", "active", False),
        ("status", "contains", "act", True),
        ("customer.address.city", "==", "Oslo", True),
        ("items[0].price", ">=", "5", True),
        ("paused", "==", "false", True),
        ("paused", "==", "0", False),
    ],
)
def test_a_condition_compares_the_field_with_the_parsed_value(
    field: str, op: str, value: str, expected: bool
) -> None:
    assert condition(field, op, value)(STATE) is expected


def test_ordering_text_against_a_number_raises_so_first_skips_it() -> None:
    with pytest.raises(TypeError):
        condition("status", ">", "5")(STATE)


def test_an_unknown_operator_or_a_malformed_path_is_an_invalid_filter() -> None:
    with pytest.raises(InvalidFilter, match="use one of"):
        condition("balance", "=~", "1")
    with pytest.raises(InvalidFilter, match="dotted path"):
        condition("balance..x", ">", "1")
    with pytest.raises(InvalidFilter, match="dotted path"):
        condition("items[x]", ">", "1")


def test_a_field_that_looks_like_code_is_only_a_key_name() -> None:
    looks_like_code = "__import__('os').system('x')"
    holds = condition(looks_like_code, "==", "1")
    with pytest.raises(KeyError):
        holds(STATE)
    assert holds({"__import__('os')": {"system('x')": 1}}) is True


def test_every_operator_is_offered() -> None:
    assert OPERATORS == ("==", "!=", "<", "<=", ">", ">=", "contains")
