"""Nested JSON objects as flat ``{"a.b.c": value}`` rows, the shape DataFrame columns take."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MAX_DEPTH = 32
"""Nested objects deeper than this stay whole in one column (a hostile row nesting a
thousand levels would otherwise exhaust Python's recursion)."""


def flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts become dotted keys (``prefix`` before each); lists and scalars stay
    values; an empty dict stays an empty dict, so that the key is not lost."""
    out: dict[str, Any] = {}
    _into(value, prefix, out, MAX_DEPTH)
    return out


def _into(value: Mapping[str, Any], prefix: str, out: dict[str, Any], depth: int) -> None:
    for key, item in value.items():
        name = prefix + key
        if type(item) is dict and item and depth > 1:
            _into(item, name + ".", out, depth - 1)
        else:
            out[name] = item


def flatten_columns(rows: Iterable[Any], prefix: str, count: int) -> dict[str, list[Any]]:
    """``count`` JSON values as columns of their flattened keys (None where a row lacks
    one), in the order keys first appear: what a frame of ``flatten``'d rows holds, built
    without a dict per row. A row that is not an object goes in column ``prefix`` less its
    dot."""
    columns = _Columns(count)
    for index, row in enumerate(rows):
        if type(row) is dict:
            columns.add(row, prefix, index, MAX_DEPTH)
        else:
            columns.column(prefix[:-1])[index] = row
    return columns.lists


class _Columns:
    """Column lists filled row by row; dotted names built once per (prefix, key)."""

    __slots__ = ("count", "lists", "names")

    def __init__(self, count: int) -> None:
        self.count = count
        self.lists: dict[str, list[Any]] = {}
        self.names: dict[tuple[str, str], str] = {}

    def add(self, value: dict[str, Any], prefix: str, index: int, depth: int) -> None:
        names, lists = self.names, self.lists
        for key, item in value.items():
            name = names.get((prefix, key))
            if name is None:
                name = names[(prefix, key)] = prefix + key
            if type(item) is dict and item and depth > 1:
                self.add(item, name + ".", index, depth - 1)
                continue
            column = lists.get(name)
            if column is None:
                column = self.column(name)
            column[index] = item

    def column(self, name: str) -> list[Any]:
        column = self.lists.get(name)
        if column is None:
            column = self.lists[name] = [None] * self.count
        return column
