"""Conditions on a state, built from a field path, an operator and a value (as a picker gives
them), for ``Timeline.first``; no code is evaluated."""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from typing import Any, Final

from workbench.errors import InvalidFilter
from workbench.state import State

_COMPARE: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
OPERATORS: Final = (*_COMPARE, "contains")
"""The operators ``condition`` understands."""
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def value_at(state: State, path: str) -> Any:
    """The value at a dotted ``path`` (``customer.address.city``, ``items[2].price``);
    KeyError, IndexError or TypeError when the state has nothing there."""
    value: Any = state
    for key, index in _steps(path):
        value = value[int(index)] if index else value[key]
    return value


def parse_value(text: str) -> Any:
    """What a user typed: a JSON value (``5``, ``2.5``, ``true``, ``null``, ``"x"``), or
    else the text itself."""
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        return text
    return parsed


def condition(field: str, op: str, value: Any) -> Callable[[State], bool]:
    """A predicate: the state's ``field`` compared by ``op`` with ``value`` (text is parsed
    with ``parse_value``). A missing field or values that cannot be ordered raise, which
    ``Timeline.first`` counts as not satisfied."""
    if op not in OPERATORS:
        raise InvalidFilter(f"operator {op!r}: use one of {', '.join(OPERATORS)}")
    _steps(field)
    wanted = parse_value(value) if isinstance(value, str) else value

    def holds(state: State) -> bool:
        actual = value_at(state, field)
        if op == "contains":
            if not isinstance(actual, str | list | dict):
                raise TypeError(f"{field} holds {type(actual).__name__}, not a collection")
            return wanted in actual
        if op in ("==", "!=") and isinstance(actual, bool) != isinstance(wanted, bool):
            return op == "!="  # True is not 1 here, as in diffs
        return bool(_COMPARE[op](actual, wanted))

    return holds


def _steps(path: str) -> list[tuple[str, str]]:
    """The keys and indexes of ``path``; InvalidFilter when it is not a dotted path."""
    steps = [(m.group(1) or "", m.group(2) or "") for m in _STEP.finditer(path)]
    rebuilt = "".join(f"[{i}]" if i else f".{k}" for k, i in steps).lstrip(".")
    if not path or rebuilt != path:
        raise InvalidFilter(f"field {path!r} is not a dotted path such as customer.address.city")
    return steps
