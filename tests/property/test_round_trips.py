"""Round trips of payloads on every backend: what is appended comes back equal, types
included, or is refused with a typed error and stores nothing.

Equal means ``same()``: the same types all the way down, NaN equal to itself, an aware
datetime's offset and a Decimal's digits and exponent kept. Two findings are pinned by
strict xfails at the bottom of this file rather than hidden by the generators: a UTC
offset with seconds (historical zones) loses them, and PostgreSQL's JSONB turns -0.0 into
0.0 and large floats in untyped fields into ints.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import ClassVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import JsonValue

from event_sourcery import Context, Envelope, Event, EventStore, InvalidEnvelope
from event_sourcery.testing.events import Address, Customer, Plan
from tests.property import budget
from tests.property.conftest import Stores


class Typed(Event):
    """One field of each payload type that must round-trip exactly."""

    __event_name__: ClassVar[str] = "property.Typed"
    text: str
    number: int
    ratio: float
    money: Decimal
    aware: datetime
    naive: datetime
    day: date
    ident: UUID
    plan: Plan
    maybe: int | None
    tags: list[str]
    counts: dict[str, list[int]]
    customer: Customer
    blob: bytes


class Document(Event):
    """Untyped JSON, as events that carry a document hold it."""

    __event_name__: ClassVar[str] = "property.Document"
    value: JsonValue


class Ratio(Event):
    __event_name__: ClassVar[str] = "property.Ratio"
    value: float


class Text(Event):
    __event_name__: ClassVar[str] = "property.Text"
    value: str


class Blob(Event):
    __event_name__: ClassVar[str] = "property.Blob"
    value: bytes


class Moment(Event):
    __event_name__: ClassVar[str] = "property.Moment"
    value: datetime


def same(a: object, b: object, *, floats_as_numbers: bool = False) -> bool:
    """``a == b`` with the same types all the way down, NaN equal to itself, offsets of
    aware datetimes and Decimal exponents kept. ``floats_as_numbers``: a float may come
    back as the int of the same value (PostgreSQL's JSONB, see the xfails below)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if floats_as_numbers and {type(a), type(b)} == {float, int}:
        return float(a) == float(b)  # type: ignore[arg-type]
    if type(a) is not type(b):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(
            same(a[k], b[k], floats_as_numbers=floats_as_numbers) for k in a
        )
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(
            same(x, y, floats_as_numbers=floats_as_numbers) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a.as_tuple() == b.as_tuple()
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    return a == b


def is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def appended_and_loaded(store: EventStore, event: Event) -> Event:
    stream = uuid4()
    store.append(event, stream_id=stream)
    [recorded] = store.load_stream(stream)
    return recorded.event


def refused_and_nothing_stored(store: EventStore, *events: Event | Envelope[Event]) -> None:
    stream, position = uuid4(), store.position
    with pytest.raises(InvalidEnvelope, match="nothing was written"):
        store.append(*events, stream_id=stream)
    assert store.load_stream(stream) == []
    assert store.read_all(position) == []


texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)
ints = st.integers() | st.integers(-(2**200), 2**200)
offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
UNSTORABLE = ["\x00", "\ud800", "\udfff"]
"""NUL (PostgreSQL cannot store it) and lone surrogates (no UTF-8 for them)."""
json_values = st.recursive(
    st.none() | st.booleans() | ints | st.floats(allow_nan=False, allow_infinity=False) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=10,
)
typed_events = st.builds(
    Typed,
    text=texts,
    number=ints,
    ratio=st.floats(),
    money=st.decimals(allow_nan=False, allow_infinity=False),
    aware=st.datetimes(timezones=offsets),
    naive=st.datetimes(),
    day=st.dates(),
    ident=st.uuids(),
    plan=st.sampled_from(Plan),
    maybe=st.none() | ints,
    tags=st.lists(texts, max_size=3),
    counts=st.dictionaries(texts, st.lists(ints, max_size=3), max_size=3),
    customer=st.builds(
        Customer,
        id=st.uuids(),
        addresses=st.lists(st.builds(Address, street=texts, city=texts), max_size=2),
    ),
    blob=texts.map(str.encode),
)


def test_typed_payloads_round_trip_exactly(store: EventStore) -> None:
    @budget(60)
    @given(typed_events)
    def check(event: Typed) -> None:
        loaded = appended_and_loaded(store, event)
        assert type(loaded) is Typed
        assert same(loaded.model_dump(), event.model_dump())

    check()


def test_json_documents_round_trip(store: EventStore, stores: Stores) -> None:
    """Exactly on memory and SQLite; on PostgreSQL a float may come back as the int of
    its value (see the xfail of large floats below)."""

    @budget(40)
    @given(json_values)
    def check(value: JsonValue) -> None:
        loaded = appended_and_loaded(store, Document(value=value))
        assert isinstance(loaded, Document)
        assert same(loaded.value, value, floats_as_numbers=stores.name == "postgresql")

    check()


def test_strings_round_trip_unless_they_hold_nul_or_lone_surrogates(store: EventStore) -> None:
    @budget(40)
    @given(texts | st.builds("{}{}{}".format, texts, st.sampled_from(UNSTORABLE), texts))
    def check(value: str) -> None:
        storable = "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
        if storable:
            assert appended_and_loaded(store, Text(value=value)) == Text(value=value)
        else:
            refused_and_nothing_stored(store, Text(value=value))

    check()


def test_bytes_round_trip_when_utf8_without_nul_and_are_refused_otherwise(
    store: EventStore,
) -> None:
    @budget(30)
    @given(st.binary(max_size=12) | texts.map(str.encode))
    def check(value: bytes) -> None:
        storable = b"\x00" not in value and is_utf8(value)
        if storable:
            assert appended_and_loaded(store, Blob(value=value)) == Blob(value=value)
        else:
            refused_and_nothing_stored(store, Blob(value=value))

    check()


contexts = st.builds(
    Context,
    correlation_id=st.none() | st.uuids(),
    causation_id=st.none() | st.uuids(),
    tenant=st.none() | texts,
    request=st.dictionaries(texts, json_values, max_size=3),
)


def test_envelopes_keep_their_uuid_time_and_context(store: EventStore, stores: Stores) -> None:
    @budget(30)
    @given(st.uuids(), st.datetimes(timezones=offsets), contexts)
    def check(uuid: UUID, created_at: datetime, context: Context) -> None:
        stream = uuid4()
        envelope = Envelope(
            event=Text(value="x"), uuid=uuid, created_at=created_at, context=context
        )
        try:
            created_at.astimezone(UTC)
        except OverflowError:
            refused_and_nothing_stored(store, envelope)
            return
        store.append(envelope, stream_id=stream)
        try:
            [recorded] = store.load_stream(stream)
            assert (recorded.uuid, recorded.created_at) == (uuid, created_at)
            assert recorded.created_at.utcoffset() == timedelta(0)
            assert same(
                recorded.context.model_dump(),
                context.model_dump(),
                floats_as_numbers=stores.name == "postgresql",
            )
        finally:
            store.delete_stream(stream)  # another example may draw the same uuid

    check()


# Findings, pinned: each is a strict xfail that turns into a failure once fixed.


@pytest.mark.xfail(
    strict=True,
    reason="pydantic writes a UTC offset to the minute: +00:19:32 (Amsterdam before 1937) "
    "comes back as +00:19, 32 seconds off, on every backend; should round-trip or be refused",
)
def test_an_aware_datetime_in_a_historical_zone_round_trips_or_is_refused(
    store: EventStore,
) -> None:
    moment = datetime(1900, 1, 1, 12, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert moment.utcoffset() == timedelta(minutes=19, seconds=32)
    try:
        loaded = appended_and_loaded(store, Moment(value=moment))
    except InvalidEnvelope:
        return
    assert isinstance(loaded, Moment)
    assert loaded.value == moment


@pytest.mark.parametrize(
    "event",
    [Ratio(value=-0.0), Document(value=-0.0), Document(value=1e16), Document(value=1e300)],
    ids=["typed -0.0", "untyped -0.0", "untyped 1e16", "untyped 1e300"],
)
def test_floats_keep_their_sign_and_type(
    store: EventStore, stores: Stores, request: pytest.FixtureRequest, event: Ratio | Document
) -> None:
    if stores.name == "postgresql":
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                reason="PostgreSQL's JSONB keeps numbers as numeric: -0.0 comes back 0.0, "
                "and a float it prints without a fraction (1e16, 1e300) comes back an int "
                "in an untyped field (1e300 as 10**300, another number)",
            )
        )
    loaded = appended_and_loaded(store, event)
    assert isinstance(loaded, type(event))
    value, back = event.value, loaded.value
    assert isinstance(value, float)
    assert type(back) is float
    assert (back, math.copysign(1, back)) == (value, math.copysign(1, value))
