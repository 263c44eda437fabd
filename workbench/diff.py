"""Structured differences between two JSON-like states: which paths were added, removed or
changed, with the old and new values."""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd

_MISSING: Any = object()


class ChangeKind(StrEnum):
    """What happened at a path between two states."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: ``path`` in dotted form (``customer.address.city``, ``items[2]``)."""

    path: str
    kind: ChangeKind
    old: Any = None
    new: Any = None


class Diff(Sequence[Change]):
    """The changes from one state to another, in path order; empty when they are equal."""

    __slots__ = ("_changes",)

    def __init__(self, changes: Sequence[Change]) -> None:
        self._changes = tuple(changes)

    def __getitem__(self, index: Any) -> Any:
        return self._changes[index]

    def __len__(self) -> int:
        return len(self._changes)

    def __iter__(self) -> Iterator[Change]:
        return iter(self._changes)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Diff):
            return self._changes == other._changes
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._changes)

    def __repr__(self) -> str:
        return f"Diff({list(self._changes)!r})"

    @property
    def paths(self) -> list[str]:
        """The paths that differ."""
        return [change.path for change in self._changes]

    def to_frame(self) -> pd.DataFrame:
        """One row per change: path, change, old, new."""
        return pd.DataFrame(
            {
                "path": [c.path for c in self._changes],
                "change": pd.Categorical(
                    [c.kind.value for c in self._changes], categories=[k.value for k in ChangeKind]
                ),
                "old": pd.Series([c.old for c in self._changes], dtype=object),
                "new": pd.Series([c.new for c in self._changes], dtype=object),
            }
        )

    def _repr_html_(self) -> str:
        if not self._changes:
            return "<p>No differences.</p>"
        rows = "".join(
            f"<tr><td><code>{html.escape(c.path)}</code></td><td>{c.kind.value}</td>"
            f"<td>{_cell(c.old, c.kind is ChangeKind.ADDED)}</td>"
            f"<td>{_cell(c.new, c.kind is ChangeKind.REMOVED)}</td></tr>"
            for c in self._changes
        )
        return (
            "<table><thead><tr><th>path</th><th>change</th><th>old</th><th>new</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"
        )


def diff(old: Any, new: Any) -> Diff:
    """The changes that turn ``old`` into ``new``: dicts by key, lists by index, anything
    else compared as a whole value."""
    changes: list[Change] = []
    _walk(old, new, "", changes)
    return Diff(changes)


def _walk(old: Any, new: Any, path: str, out: list[Change]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in _ordered_keys(old, new):
            child = f"{path}.{key}" if path else str(key)
            _walk(old.get(key, _MISSING), new.get(key, _MISSING), child, out)
        return
    if _is_list(old) and _is_list(new):
        for index in range(max(len(old), len(new))):
            before = old[index] if index < len(old) else _MISSING
            after = new[index] if index < len(new) else _MISSING
            _walk(before, after, f"{path}[{index}]", out)
        return
    if old is _MISSING and new is not _MISSING:
        out.append(Change(path, ChangeKind.ADDED, None, new))
    elif new is _MISSING and old is not _MISSING:
        out.append(Change(path, ChangeKind.REMOVED, old, None))
    elif not _same(old, new):
        out.append(Change(path, ChangeKind.CHANGED, old, new))


def _ordered_keys(old: Mapping[Any, Any], new: Mapping[Any, Any]) -> list[Any]:
    """Keys of both, in the old state's order, then those only the new state has."""
    keys = list(old)
    keys += [key for key in new if key not in old]
    return keys


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _same(old: Any, new: Any) -> bool:
    """Equal values; ``True`` and ``1`` differ (a bool that became a number is a change)."""
    if _number(old) and _number(new):
        return bool(old == new)
    return type(old) is type(new) and bool(old == new)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: Any, absent: bool) -> str:
    return "" if absent else f"<code>{html.escape(repr(value))}</code>"
