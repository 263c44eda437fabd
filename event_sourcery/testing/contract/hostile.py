"""Hostile input: names, categories and payloads that break naive stores either come back
exactly as given or are refused with a typed error that says why, alike on every backend,
and a refusal stores nothing."""

from __future__ import annotations

import math
import time
from typing import Any, ClassVar
from uuid import uuid4

import pytest
from pydantic import BaseModel, ConfigDict

from event_sourcery.context import Context
from event_sourcery.errors import InvalidEnvelope, InvalidStreamId
from event_sourcery.event import Event
from event_sourcery.event_store import EventStore
from event_sourcery.json_checks import MAX_JSON_DEPTH
from event_sourcery.records import Envelope
from event_sourcery.registry import EventRegistry
from event_sourcery.serde import MAX_TYPE_CHARS
from event_sourcery.streams import MAX_CATEGORY_CHARS, MAX_NAME_BYTES, StreamId
from event_sourcery.testing.contract.base import BaseContract


class Noted(Event):
    __event_name__: ClassVar[str] = "contract.hostile.Noted"
    text: str


class Loose(Event):
    """A payload without a schema: whatever JSON holds."""

    __event_name__: ClassVar[str] = "contract.hostile.Loose"
    data: Any


class Reading(BaseModel):
    """A model of the caller's with pydantic's default: NaN and infinities become null."""

    value: float


class StrictReading(BaseModel):
    model_config = ConfigDict(ser_json_inf_nan="strings")
    value: float


class Floats(Event):
    __event_name__: ClassVar[str] = "contract.hostile.Floats"
    one: float
    by_name: dict[str, float]
    series: list[float]
    nested: StrictReading


class Measuring(Event):
    __event_name__: ClassVar[str] = "contract.hostile.Measuring"
    readings: list[Reading]


HOSTILE_TEXT = {
    "quotes": 'it\'s "quoted" `back`',
    "percent-underscore": "100%_off",
    "like-wildcards": "%",
    "one-char-wildcard": "_",
    "backslashes": "a\\b\\\\c\\%\\_",
    "emoji": "👩‍👩‍👧 family 🎉",
    "rtl": "שלום עולם \u202eevil",
    "combining": "e\u0301",
    "precomposed": "\u00e9",
    "sql-injection": "'; DROP TABLE event_sourcery_events; --",
    "format-positional": "%s",
    "format-named": "%(x)s",
    "whitespace": " \t\n ",
    "bom-and-nonchar": "\ufeff\uffff",
    "longest-ascii-name": "n" * MAX_NAME_BYTES,
    # 1024 bytes of text PostgreSQL cannot compress, beside the widest category below.
    "longest-cjk-name": "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(341)) + "x",
}
WIDEST_CATEGORY = "".join(chr(0x1F300 + i) for i in range(MAX_CATEGORY_CHARS))
"""255 different four-byte characters: the widest category, in bytes, that is allowed."""


class LongNamed(Event):
    """An event whose registered name is as long as a test needs."""

    __event_name__: ClassVar[str] = "contract.hostile.LongNamed"
    text: str


def _category_of(text: str) -> str:
    return text[:MAX_CATEGORY_CHARS] if len(text) <= MAX_CATEGORY_CHARS else WIDEST_CATEGORY


def nested(depth: int) -> Any:
    """``depth`` lists, one inside the other."""
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


class HostileInputContract(BaseContract):
    @pytest.mark.parametrize("label", list(HOSTILE_TEXT))
    def test_hostile_names_and_categories_round_trip_through_every_read(
        self, store: EventStore, label: str
    ) -> None:
        name, category = HOSTILE_TEXT[label], _category_of(HOSTILE_TEXT[label])
        stream = StreamId(name=name, category=category)
        store.append(Noted(text=name), stream_id=stream)
        by_name = StreamId(name=name, category=category)  # found again by its name alone
        [loaded] = store.load_stream(by_name)
        [raw] = store.load_stream_raw(by_name)
        [read] = store.read_all(loaded.position - 1, 1)
        found = store.event_raw(loaded.uuid)
        [listed] = store.streams(categories=[category])
        assert found is not None
        for seen in (loaded.stream_id, raw.stream_id, read.stream_id, found.stream_id):
            assert (seen.uuid, seen.name, seen.category) == (stream.uuid, name, category)
        assert (listed.stream_id.name, listed.stream_id.category) == (name, category)
        assert loaded.event == Noted(text=name)

    def test_like_wildcards_and_escapes_match_only_themselves(self, store: EventStore) -> None:
        categories = ["a%", "a_c", "abc", "a\\%", "a\\_c", "%", "_"]
        for category in categories:
            store.append(Noted(text=category), stream_id=StreamId(name="s", category=category))
        for category in categories:
            [info] = store.streams(categories=[category])
            assert info.stream_id.category == category
            [event] = store.read_all(categories=[category])
            assert event.event == Noted(text=category)
        assert store.read_all(types=["contract.hostile.%"]) == []
        assert store.read_all(types=["contract_hostile_Noted"]) == []

    def test_names_that_differ_only_in_unicode_normalisation_are_two_streams(
        self, store: EventStore
    ) -> None:
        combining, precomposed = StreamId(name="caf\u0065\u0301"), StreamId(name="caf\u00e9")
        store.append(Noted(text="combining"), stream_id=combining)
        store.append(Noted(text="precomposed"), stream_id=precomposed)
        assert combining.uuid != precomposed.uuid
        assert [e.event for e in store.load_stream(combining)] == [Noted(text="combining")]
        assert [e.event for e in store.load_stream(precomposed)] == [Noted(text="precomposed")]
        names = {info.stream_id.name for info in store.streams()}
        assert {"caf\u0065\u0301", "caf\u00e9"} <= names

    @pytest.mark.parametrize(
        ("field", "value", "problem"),
        [
            ("name", "", "is empty"),
            ("category", "", "is empty"),
            ("name", "a\x00b", "NUL"),
            ("category", "a\x00b", "NUL"),
            ("name", "a\ud800b", "lone surrogate"),
            ("category", "\udfff", "lone surrogate"),
            ("name", "x" * 10_000, "10000 bytes long in UTF-8, over 1024"),
            ("name", "😀" * 257, "1028 bytes long in UTF-8, over 1024"),
            ("category", "c" * 10_000, "10000 characters long, over 255"),
            ("category", "c" * (MAX_CATEGORY_CHARS + 1), "256 characters long, over 255"),
            ("name", 42, "not a str"),
        ],
    )
    def test_unusable_names_and_categories_are_refused_before_anything_is_stored(
        self, store: EventStore, field: str, value: Any, problem: str
    ) -> None:
        with pytest.raises(InvalidStreamId, match=problem) as caught:
            store.append(Noted(text="x"), stream_id=StreamId(**{field: value}))
        assert len(str(caught.value)) < 600  # a 10,000-character name is not echoed whole
        assert "pass a uuid.UUID or a StreamId" in str(caught.value)
        assert store.streams() == []

    @pytest.mark.parametrize(
        ("name", "category", "problem"),
        [
            ("a\x00b", None, "NUL"),
            ("", None, "empty"),
            ("ok", "\ud800", "surrogate"),
        ],
    )
    def test_a_stream_id_read_from_a_row_is_checked_again_before_an_append(
        self, store: EventStore, name: str, category: str | None, problem: str
    ) -> None:
        unchecked = StreamId.stored(uuid4(), name, category)  # as a foreign row gives it
        with pytest.raises(InvalidStreamId, match=problem):
            store.append(Noted(text="x"), stream_id=unchecked)
        assert store.streams() == []

    def test_a_10_mb_payload_round_trips(self, store: EventStore) -> None:
        printable = "".join(map(chr, range(0x20, 0x7F)))
        text = (printable * (10 * 2**20 // len(printable) + 1))[: 10 * 2**20]  # 10 MiB
        stream = uuid4()
        started = time.perf_counter()
        store.append(Noted(text=text), stream_id=stream)
        [loaded] = store.load_stream(stream)
        [read] = store.read_all(loaded.position - 1, 1)
        elapsed = time.perf_counter() - started
        assert loaded.event == Noted(text=text)
        assert read.event == Noted(text=text)
        assert elapsed < 20, f"10 MiB took {elapsed:.1f} s to append, load and read"

    def test_nesting_up_to_the_limit_round_trips_and_deeper_is_refused(
        self, store: EventStore
    ) -> None:
        deepest = nested(MAX_JSON_DEPTH - 1)  # the payload object itself is one level
        stream = uuid4()
        store.append(Loose(data=deepest), stream_id=stream)
        assert store.load_stream(stream)[0].event == Loose(data=deepest)
        refused = uuid4()
        for depth in (MAX_JSON_DEPTH, 1_000, 100_000):
            with pytest.raises(InvalidEnvelope, match=r"payload of event .* nest") as caught:
                store.append(Loose(data=nested(depth)), stream_id=refused)
            assert "nothing was written" in str(caught.value)
        context = Context(deep=nested(MAX_JSON_DEPTH))
        with pytest.raises(InvalidEnvelope, match=r"context of event .* levels deep"):
            store.append(Envelope(event=Noted(text="x"), context=context), stream_id=refused)
        assert store.load_stream(refused) == []

    def test_nan_and_infinities_come_back_as_floats_where_the_field_is_a_float(
        self, store: EventStore
    ) -> None:
        event = Floats(
            one=-math.inf,
            by_name={"nan": math.nan, "inf": math.inf, "ninf": -math.inf, "tiny": 5e-324},
            series=[math.inf, math.nan, 1.5],
            nested=StrictReading(value=math.nan),
        )
        stream = uuid4()
        store.append(event, stream_id=stream)
        [raw] = store.load_stream_raw(stream)
        assert raw.data["by_name"] == {"nan": "NaN", "inf": "Infinity", "ninf": "-Infinity"} | {
            "tiny": 5e-324
        }
        loaded = store.load_stream(stream)[0].event
        assert isinstance(loaded, Floats)
        assert loaded.one == -math.inf
        assert math.isnan(loaded.by_name["nan"])
        assert (loaded.by_name["inf"], loaded.by_name["ninf"]) == (math.inf, -math.inf)
        assert loaded.series[0] == math.inf
        assert math.isnan(loaded.series[1])
        assert math.isnan(loaded.nested.value)

    def test_nan_in_a_model_that_would_store_it_as_null_is_refused(self, store: EventStore) -> None:
        stream = uuid4()
        event = Measuring(readings=[Reading(value=1.0), Reading(value=math.inf)])
        with pytest.raises(InvalidEnvelope, match=r"payload\.readings\[1\]\.value of event"):
            store.append(event, stream_id=stream)
        assert store.load_stream(stream) == []
        store.append(Measuring(readings=[Reading(value=1.0)]), stream_id=stream)
        assert len(store.load_stream(stream)) == 1

    def test_nan_and_infinities_in_untyped_values_come_back_as_their_strings(
        self, store: EventStore
    ) -> None:
        stream = uuid4()
        context = Context(reading=math.nan, limits=[math.inf, -math.inf])
        store.append(
            Envelope(event=Loose(data={"x": [math.nan, {"y": math.inf}]}), context=context),
            stream_id=stream,
        )
        [loaded] = store.load_stream(stream)
        assert loaded.event == Loose(data={"x": ["NaN", {"y": "Infinity"}]})
        assert loaded.context.model_extra == {
            "reading": "NaN",
            "limits": ["Infinity", "-Infinity"],
        }

    @pytest.mark.parametrize(
        ("payload", "context", "where"),
        [
            (
                {"items": [{"name": "ok"}, {"name": "a\x00b"}]},
                None,
                r"payload\.data\.items\[1\]\.name",
            ),
            ({"a\x00": 1}, None, "a key of payload.data"),
            ({"fine": True}, Context(note="\x00"), r"context\.note"),
        ],
    )
    def test_nul_characters_are_refused_naming_where_they_are(
        self, store: EventStore, payload: Any, context: Context | None, where: str
    ) -> None:
        stream = uuid4()
        envelope = Envelope(event=Loose(data=payload), context=context or Context())
        with pytest.raises(InvalidEnvelope, match=f"{where} of event .* NUL") as caught:
            store.append(envelope, stream_id=stream)
        assert str(envelope.uuid) in str(caught.value)
        assert store.load_stream(stream) == []

    @pytest.mark.parametrize("where", ["payload", "context"])
    def test_lone_surrogates_are_refused(self, store: EventStore, where: str) -> None:
        stream = uuid4()
        envelope = (
            Envelope(event=Noted(text="a\ud83db"))
            if where == "payload"
            else Envelope(event=Noted(text="ok"), context=Context(note="\udc00"))
        )
        with pytest.raises(InvalidEnvelope, match=f"the {where} of event .* surrogate"):
            store.append(envelope, stream_id=stream)
        assert store.load_stream(stream) == []

    def test_hostile_text_in_payloads_round_trips_exactly(self, store: EventStore) -> None:
        stream = uuid4()
        texts = [*HOSTILE_TEXT.values(), "\\u0000", "\U0010ffff", "\u0085\u2028\u2029", '"}]']
        store.append(*[Noted(text=text) for text in texts], stream_id=stream)
        assert [e.event for e in store.load_stream(stream)] == [Noted(text=t) for t in texts]
        loose = {text: text for text in texts}
        store.append(Loose(data=loose), stream_id=stream, expected_version=len(texts))
        assert store.load_stream(stream)[-1].event == Loose(data=loose)

    @pytest.mark.parametrize("length", [MAX_TYPE_CHARS, MAX_TYPE_CHARS + 1, 10_000])
    def test_type_names_up_to_the_columns_width_are_stored_and_longer_refused(
        self, store: EventStore, length: int
    ) -> None:
        name = f"contract.hostile.{length}."
        name += "t" * (length - len(name))
        registry = EventRegistry()
        registry.add(LongNamed, name)
        named = EventStore(store.storage, registry)
        stream = uuid4()
        if length <= MAX_TYPE_CHARS:
            named.append(LongNamed(text="x"), stream_id=stream)
            [raw] = named.load_stream_raw(stream)
            assert raw.type == name
            assert named.load_stream(stream)[0].event == LongNamed(text="x")
            return
        for item in (LongNamed(text="x"), Envelope(event=LongNamed(text="x"))):
            with pytest.raises(InvalidEnvelope, match=f"{length} characters long, over 255"):
                named.append(item, stream_id=stream)
        with pytest.raises(InvalidEnvelope, match="type column's width") as caught:
            named.save_snapshot(stream, LongNamed(text="x"), 1)
        assert len(str(caught.value)) < 600
        assert named.load_stream_raw(stream) == []
