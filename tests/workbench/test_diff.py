"""diff(): structured changes between two JSON-like states."""

from __future__ import annotations

from workbench import Change, ChangeKind, diff


def test_equal_states_have_no_changes() -> None:
    state = {"a": 1, "b": {"c": [1, {"d": None}]}}
    assert list(diff(state, {"a": 1, "b": {"c": [1, {"d": None}]}})) == []
    assert not diff(state, state)


def test_nested_keys_are_added_removed_and_changed_by_dotted_path() -> None:
    old = {"plan": "basic", "customer": {"name": "Ada", "address": {"city": "Oslo"}}}
    new = {"plan": "pro", "customer": {"address": {"city": "Bergen", "zip": "5003"}}}
    assert list(diff(old, new)) == [
        Change("plan", ChangeKind.CHANGED, "basic", "pro"),
        Change("customer.name", ChangeKind.REMOVED, "Ada", None),
        Change("customer.address.city", ChangeKind.CHANGED, "Oslo", "Bergen"),
        Change("customer.address.zip", ChangeKind.ADDED, None, "5003"),
    ]


def test_lists_are_compared_by_index() -> None:
    changes = diff({"items": [1, 2, 3]}, {"items": [1, 5]})
    assert [(c.path, c.kind, c.old, c.new) for c in changes] == [
        ("items[1]", ChangeKind.CHANGED, 2, 5),
        ("items[2]", ChangeKind.REMOVED, 3, None),
    ]


def test_a_bool_that_becomes_a_number_is_a_change_but_int_and_float_of_equal_value_are_not() -> (
    None
):
    assert diff({"x": True}, {"x": 1}).paths == ["x"]
    assert diff({"x": 1}, {"x": 1.0}).paths == []


def test_a_value_that_becomes_an_object_is_one_change_of_the_whole_value() -> None:
    assert list(diff({"x": 1}, {"x": {"y": 2}})) == [Change("x", ChangeKind.CHANGED, 1, {"y": 2})]


def test_the_frame_has_one_row_per_change() -> None:
    frame = diff({"a": 1}, {"a": 2, "b": 3}).to_frame()
    assert list(frame.columns) == ["path", "change", "old", "new"]
    assert frame.to_dict("records") == [
        {"path": "a", "change": "changed", "old": 1, "new": 2},
        {"path": "b", "change": "added", "old": None, "new": 3},
    ]


def test_html_escapes_paths_and_values() -> None:
    shown = diff({"<b>": "<script>alert(1)</script>"}, {})._repr_html_()
    assert "<script>" not in shown
    assert "&lt;script&gt;" in shown
    assert "&lt;b&gt;" in shown
