"""What a payload or context must be to be stored alike on every backend and read back:
the checks ``serde`` runs on the JSON it writes (nesting, NUL characters, NaN that a
model would turn into null)."""

from __future__ import annotations

import enum
import functools
import math
import re
from array import array
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from uuid import UUID

from pydantic import BaseModel

MAX_JSON_DEPTH = 200
"""How deeply a payload or context may nest (the document itself is level 1): pydantic's
JSON parser refuses deeper documents, so they are refused on the way in rather than
stored and then unreadable."""
_NOT_STRUCTURE = bytes(set(range(256)) - set(b'"[]{}'))
"""The bytes ``json_depth`` drops: all but quotes and brackets."""
_QUOTED = re.compile(rb'"[^"]*"')
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
"""An opening bracket as +1, a closing one as -1 (a signed byte)."""


def json_depth(text: str) -> int:
    """How deeply the JSON ``text`` nests objects and arrays; 0 without looking when it
    has too few brackets to pass the limit (most documents). Everything but quotes and
    brackets is dropped and strings cut out; the depth is the highest running sum of the
    brackets as +1 and -1. Each step is one pass at C speed, so the cost grows with the
    size alone, however the document nests."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return 0
    skeleton = text.encode().replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = _QUOTED.sub(b"", skeleton.translate(None, _NOT_STRUCTURE))
    return max(accumulate(array("b", skeleton.translate(_STEPS))), default=0)


def nul_at(value: object, path: str) -> str | None:
    """The path of the first key or string holding a NUL, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return f"a key of {path}"
            found = nul_at(item, f"{path}.{key}")
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_at(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


_PLAIN = (str, int, bool, type(None), Decimal, UUID, datetime, date, time, timedelta)


@functools.cache
def may_hold_lossy_floats(cls: type[BaseModel]) -> bool:
    """Whether instances of ``cls`` can hold a float inside a model that stores NaN as
    null: only then is a payload with nulls walked (``lossy_float``); most classes'
    fields rule it out."""
    return _model_may_hold(cls, set())


def _model_may_hold(cls: type[BaseModel], seen: set[type]) -> bool:
    if cls in seen:
        return False
    seen.add(cls)
    as_strings = cls.model_config.get("ser_json_inf_nan") == "strings"
    return any(_type_may_hold(f.annotation, as_strings, seen) for f in cls.model_fields.values())


def _type_may_hold(annotation: Any, as_strings: bool, seen: set[type]) -> bool:
    """Whether a value of ``annotation`` can hold a float that JSON would make null."""
    if annotation is float:
        return not as_strings
    if annotation in _PLAIN:
        return False
    origin = get_origin(annotation)
    if origin is Literal:
        return False
    if origin is not None:
        args = get_args(annotation)
        if origin in (list, tuple, set, frozenset, dict, Union, UnionType, Annotated) and args:
            parts = args[:1] if origin is Annotated else args
            return any(a is not Ellipsis and _type_may_hold(a, as_strings, seen) for a in parts)
        return True
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return False
        if issubclass(annotation, BaseModel):
            return _model_may_hold(annotation, seen)
    return True


def lossy_float(value: object, as_strings: bool, path: str) -> str | None:
    """The path of the first NaN or infinity that JSON would turn into null: one inside a
    model (a plain ``BaseModel``) whose ``ser_json_inf_nan`` is not "strings"."""
    kind = type(value)
    if kind is float:
        return None if as_strings or math.isfinite(value) else path  # type: ignore[arg-type]
    if kind is str or kind is int or value is None:
        return None
    if isinstance(value, BaseModel):
        as_strings = value.model_config.get("ser_json_inf_nan") == "strings"
        fields = {**value.__dict__, **(value.__pydantic_extra__ or {})}
        return lossy_float(fields, as_strings, path)
    if isinstance(value, dict):
        for key, item in value.items():
            found = lossy_float(item, as_strings, f"{path}.{key}")
            if found is not None:
                return found
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            found = lossy_float(item, as_strings, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def has_inf_nan(value: object) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(has_inf_nan(item) for item in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(has_inf_nan(item) for item in value)
    if isinstance(value, BaseModel):
        return has_inf_nan(dict(value))
    return False
