"""The nesting check run on every payload: the depth pydantic's reader would meet."""

from __future__ import annotations

import json
import random

import pytest

from event_sourcery.json_checks import MAX_JSON_DEPTH, json_depth


def _nested(depth: int, rng: random.Random) -> object:
    """A document ``depth`` levels deep, objects and arrays mixed, with decoys in strings."""
    value: object = rng.choice([1, "]]}}[[{{", 'a "quoted" \\ string', None])
    for _ in range(depth - 1):
        value = {"k]": value, "n": "[{"} if rng.random() < 0.5 else [value, "}]"]
    return {"top": value} if depth else value


def _reference_depth(document: object) -> int:
    deepest, stack = 0, [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth + 1)
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
    return deepest


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 600])
def test_the_depth_is_that_of_the_document_whatever_its_strings_hold(depth: int) -> None:
    rng = random.Random(depth)
    for _ in range(20):
        document = _nested(depth, rng)
        assert json_depth(json.dumps(document)) == _reference_depth(document)


def test_a_wide_document_of_many_deep_branches_is_measured_by_its_deepest() -> None:
    branch = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    wide = "[" + ",".join([branch] * 2_000) + "]"
    assert json_depth(wide) == MAX_JSON_DEPTH + 1


def test_a_document_with_few_brackets_is_not_looked_at() -> None:
    assert json_depth(json.dumps({"a": [1, 2, {"b": "x" * 10_000}]})) == 0
