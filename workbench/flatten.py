"""Nested JSON objects as flat ``{"a.b.c": value}`` rows, the shape DataFrame columns take."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts become dotted keys (``prefix`` before each); lists and scalars stay
    values; an empty dict stays an empty dict, so that the key is not lost."""
    out: dict[str, Any] = {}
    _into(value, prefix, out)
    return out


def _into(value: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, item in value.items():
        name = prefix + key
        if type(item) is dict and item:
            _into(item, name + ".", out)
        else:
            out[name] = item
