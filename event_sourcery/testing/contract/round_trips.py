"""Events, payloads, envelopes and positions come back exactly as appended."""

from __future__ import annotations

import copy
import math
import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from event_sourcery.context import Context
from event_sourcery.errors import (
    InvalidEnvelope,
)
from event_sourcery.event_store import EventStore
from event_sourcery.records import Envelope
from event_sourcery.streams import StreamId
from event_sourcery.testing.contract.base import BaseContract, deposits
from event_sourcery.testing.events import (
    Address,
    Customer,
    Deposited,
    EveryType,
    Measured,
    Opened,
    Plan,
)


class RoundTripContract(BaseContract):
    def test_one_event_round_trips_in_an_envelope(self, store: EventStore) -> None:
        stream = uuid4()
        before = datetime.now(UTC)
        store.append(Opened(owner="ada"), stream_id=stream)
        [recorded] = store.load_stream(stream)
        assert recorded.event == Opened(owner="ada")
        assert recorded.version == 1
        assert recorded.stream_id == StreamId(stream)
        assert isinstance(recorded.uuid, UUID)
        assert isinstance(recorded.position, int)
        assert recorded.created_at.tzinfo is not None
        assert recorded.created_at.utcoffset() == timedelta(0)
        assert before - timedelta(seconds=5) <= recorded.created_at <= datetime.now(UTC)
        assert recorded.context == Context()

    def test_many_events_come_back_in_order_with_contiguousversions(
        self, store: EventStore
    ) -> None:
        stream = uuid4()
        store.append(*deposits(*range(10)), stream_id=stream)
        store.append(*deposits(10, 11), stream_id=stream, expected_version=10)
        loaded = store.load_stream(stream)
        assert [e.event for e in loaded] == deposits(*range(12))
        assert [e.version for e in loaded] == list(range(1, 13))

    def test_every_payload_type_round_trips_exactly(self, store: EventStore) -> None:
        event = EveryType(
            text="naïve ☃ \"quoted\" 'single' \\ %_",
            number=-(2**53) - 1,
            ratio=0.1 + 0.2,
            flag=False,
            nothing=None,
            money=Decimal("12345678901234567890.000000001"),
            ident=uuid4(),
            aware=datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5))),
            naive=datetime(1999, 12, 31, 12, 0, 0, 1),
            day=date(2000, 1, 1),
            plan=Plan.YEARLY,
            tags=["a", "", "c"],
            customer=Customer(id=uuid4(), addresses=[Address(street="1 Main", city="Oslo")]),
        )
        stream = uuid4()
        store.append(event, stream_id=stream)
        [recorded] = store.load_stream(stream)
        loaded = recorded.event
        assert isinstance(loaded, EveryType)
        assert loaded == event
        assert loaded.aware.utcoffset() == timedelta(hours=5)
        assert loaded.naive.tzinfo is None
        assert isinstance(loaded.money, Decimal)
        assert loaded.money == event.money

    def test_bare_events_are_wrapped_with_fresh_uuids(self, store: EventStore) -> None:
        stream = uuid4()
        store.append(*deposits(1, 2), stream_id=stream)
        first, second = store.load_stream(stream)
        assert first.uuid != second.uuid

    def test_a_prebuilt_envelope_keeps_its_uuid_time_and_context(self, store: EventStore) -> None:
        stream, event_id, correlation, causation = uuid4(), uuid4(), uuid4(), uuid4()
        when = datetime(2020, 5, 17, 8, 30, tzinfo=timezone(timedelta(hours=-4)))
        context = Context(correlation_id=correlation, causation_id=causation, tenant="acme", n=3)
        store.append(
            Envelope(event=Opened(owner="bo"), uuid=event_id, created_at=when, context=context),
            stream_id=stream,
        )
        [recorded] = store.load_stream(stream)
        assert recorded.uuid == event_id
        assert recorded.created_at == when
        assert recorded.created_at.utcoffset() == timedelta(0)
        assert recorded.context.correlation_id == correlation
        assert recorded.context.causation_id == causation
        assert recorded.context.model_extra == {"tenant": "acme", "n": 3}

    def test_extra_context_survives(self, store: EventStore) -> None:
        stream = uuid4()
        context = Context(request={"ip": "10.0.0.1", "tags": ["x"]}, note=None)
        store.append(Envelope(event=Opened(owner="x"), context=context), stream_id=stream)
        [recorded] = store.load_stream(stream)
        assert recorded.context == context

    def test_a_naive_created_at_is_refused(self, store: EventStore) -> None:
        stream = uuid4()
        naive = Envelope(event=Opened(owner="x"), created_at=datetime(2020, 1, 1))
        with pytest.raises(InvalidEnvelope, match="no timezone"):
            store.append(naive, stream_id=stream)
        assert store.load_stream(stream) == []

    def test_positions_grow_with_every_append_across_streams(self, store: EventStore) -> None:
        a, b = uuid4(), uuid4()
        store.append(*deposits(1, 2), stream_id=a)
        store.append(Deposited(amount=3), stream_id=b)
        store.append(Deposited(amount=4), stream_id=a, expected_version=2)
        positions_a = [e.position for e in store.load_stream(a)]
        [position_b] = [e.position for e in store.load_stream(b)]
        assert positions_a[0] < positions_a[1] < position_b < positions_a[2]

    def test_nan_and_infinities_round_trip(self, store: EventStore) -> None:
        stream = uuid4()
        values = [math.nan, math.inf, -math.inf, 5e-324, 1.7976931348623157e308]
        store.append(*[Measured(value=v) for v in values], stream_id=stream)
        loaded = [e.event.value for e in store.load_stream(stream)]  # type: ignore[attr-defined]
        assert math.isnan(loaded[0])
        assert loaded[1:] == values[1:]

    @pytest.mark.parametrize("where", ["payload", "context"])
    def test_nul_characters_are_refused_by_every_backend(
        self, store: EventStore, where: str
    ) -> None:
        stream = uuid4()
        envelope = (
            Envelope(event=Opened(owner="a\x00b"))
            if where == "payload"
            else Envelope(event=Opened(owner="ok"), context=Context(note="a\x00b"))
        )
        with pytest.raises(InvalidEnvelope, match="NUL"):
            store.append(envelope, stream_id=stream)
        assert store.load_stream(stream) == []
        store.append(Opened(owner="a\\x00b \\u0000"), stream_id=stream)  # escapes, not NULs
        assert store.load_stream(stream)[0].event == Opened(owner="a\\x00b \\u0000")

    @pytest.mark.parametrize(
        "field",
        [
            {"uuid": "not-a-uuid"},
            {"created_at": "2020-01-01"},
            {"created_at": datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))},
            {"context": {"a": 1}},
        ],
    )
    def test_an_envelope_with_a_mistyped_field_is_refused(
        self, store: EventStore, field: dict[str, Any]
    ) -> None:
        stream = uuid4()
        with pytest.raises(InvalidEnvelope):
            store.append(Envelope(event=Opened(owner="x"), **field), stream_id=stream)
        assert store.load_stream(stream) == []

    def test_loaded_envelopes_pickle_and_copy(self, store: EventStore) -> None:
        stream = StreamId(uuid4(), name=f"pickled-{uuid4()}")
        store.append(
            Envelope(event=Opened(owner="x"), context=Context(tenant="t")), stream_id=stream
        )
        [recorded] = store.load_stream(stream)
        [raw] = store.load_stream_raw(stream)
        assert pickle.loads(pickle.dumps(recorded)) == recorded
        assert copy.deepcopy(recorded) == recorded
        assert pickle.loads(pickle.dumps(raw)) == raw
