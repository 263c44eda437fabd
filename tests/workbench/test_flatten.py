"""flatten / flatten_columns: nested JSON as dotted columns."""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbench.flatten import flatten, flatten_columns


def test_nested_objects_become_dotted_keys_and_lists_stay_values() -> None:
    value = {"a": 1, "b": {"c": {"d": [1, 2]}, "e": None}, "f": {}}
    assert flatten(value, "data.") == {
        "data.a": 1,
        "data.b.c.d": [1, 2],
        "data.b.e": None,
        "data.f": {},
    }


def test_columns_hold_each_rows_values_and_none_where_a_row_lacks_a_key() -> None:
    rows: list[Any] = [{"a": 1, "b": {"c": "x"}}, {"b": {"d": True}}, 7]
    assert flatten_columns(rows, "data.", 3) == {
        "data.a": [1, None, None],
        "data.b.c": ["x", None, None],
        "data.b.d": [None, True, None],
        "data": [None, None, 7],
    }


def test_columns_make_the_frame_that_flattened_rows_make() -> None:
    rows = [{"x": {"y": i, "z": [i]}, "w": str(i)} if i % 3 else {"w": "only"} for i in range(30)]

    def cells(frame: pd.DataFrame) -> dict[str, list[Any]]:
        return {
            name: [None if _missing(v) else v for v in frame[name]]
            for name in sorted(frame.columns)
        }

    by_columns = pd.DataFrame(flatten_columns(rows, "data.", len(rows)))
    by_rows = pd.DataFrame([flatten(row, "data.") for row in rows])
    assert cells(by_columns) == cells(by_rows)


def _missing(value: Any) -> bool:
    return not isinstance(value, list) and bool(pd.isna(value))
