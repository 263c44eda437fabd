"""Context: what every appended event carries, how follow-ups inherit it, what enrichers
add."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from event_sourcery.context import Context
from event_sourcery.errors import InvalidEnvelope
from event_sourcery.event import Event
from event_sourcery.event_sourcing import Repository
from event_sourcery.event_store import EventStore
from event_sourcery.records import Envelope
from event_sourcery.streams import StreamId
from event_sourcery.testing.aggregates import Lamp
from event_sourcery.testing.contract.base import BaseContract, deposits
from event_sourcery.testing.events import Deposited


class ContextContract(BaseContract):
    def test_an_appends_context_goes_with_each_of_its_events(self, store: EventStore) -> None:
        stream, correlation = uuid4(), uuid4()
        context = Context(correlation_id=correlation, user="ann")
        store.append(*deposits(1, 2), stream_id=stream, context=context)
        loaded = store.load_stream(stream)
        assert [e.context for e in loaded] == [context, context]
        assert loaded[0].context.model_extra == {"user": "ann"}

    def test_the_repository_attaches_its_context_to_every_new_event(
        self, store: EventStore
    ) -> None:
        stream, correlation = uuid4(), uuid4()
        context = Context(correlation_id=correlation, request="r-1")
        with Repository[Lamp](store).aggregate(stream, Lamp(), context=context) as lamp:
            lamp.turn_on()
            lamp.turn_off()
        loaded = store.load_stream(StreamId(stream, category="lamp"))
        assert [e.context for e in loaded] == [context, context]

    def test_a_causation_chain_of_three_keeps_one_correlation(self, store: EventStore) -> None:
        order, payment, shipment, conversation = uuid4(), uuid4(), uuid4(), uuid4()
        store.append(
            Deposited(amount=1), stream_id=order, context=Context(correlation_id=conversation)
        )
        [placed] = store.load_stream(order)
        store.append(Deposited(amount=2), stream_id=payment, context=Context.following(placed))
        [paid] = store.load_stream(payment)
        store.append(Deposited(amount=3), stream_id=shipment, context=Context.following(paid))
        [shipped] = store.load_stream(shipment)
        assert [e.context.correlation_id for e in (placed, paid, shipped)] == [conversation] * 3
        assert paid.context.causation_id == placed.uuid
        assert shipped.context.causation_id == paid.uuid
        assert placed.context.causation_id is None

    def test_a_follow_up_of_an_uncorrelated_event_is_correlated_by_it(
        self, store: EventStore
    ) -> None:
        first, second = uuid4(), uuid4()
        store.append(Deposited(amount=1), stream_id=first)
        [cause] = store.load_stream(first)
        follow_up = Context.following(cause, step="billing")
        store.append(Deposited(amount=2), stream_id=second, context=follow_up)
        [effect] = store.load_stream(second)
        assert effect.context.correlation_id == cause.uuid
        assert effect.context.causation_id == cause.uuid
        assert effect.context.model_extra == {"step": "billing"}

    def test_enrichers_add_fields_and_never_override_the_callers(self, store: EventStore) -> None:
        def who(event: Event, context: Context) -> dict[str, Any]:
            return {"user_id": "u-7", "source": "api"}

        def amount_class(event: Event, context: Context) -> dict[str, Any]:
            assert isinstance(event, Deposited)
            return {"large": event.amount > 100}

        enriched = EventStore(store.storage, store.registry, enrichers=[who, amount_class])
        stream = uuid4()
        enriched.append(
            Deposited(amount=500),
            Envelope(event=Deposited(amount=5), context=Context(source="batch")),
            stream_id=stream,
        )
        contexts = [e.context.model_extra for e in store.load_stream(stream)]
        assert contexts == [
            {"user_id": "u-7", "source": "api", "large": True},
            {"user_id": "u-7", "source": "batch", "large": False},
        ]

    def test_an_enricher_returning_a_bad_context_stores_nothing(self, store: EventStore) -> None:
        def broken(event: Event, context: Context) -> Any:
            return {"correlation_id": "not a uuid"}

        stream = uuid4()
        with pytest.raises(InvalidEnvelope, match="enricher"):
            EventStore(store.storage, store.registry, enrichers=[broken]).append(
                Deposited(amount=1), stream_id=stream
            )
        assert store.load_stream(stream) == []
