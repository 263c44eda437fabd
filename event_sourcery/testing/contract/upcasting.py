"""Schema evolution: rows written at older schema versions load as the current class
through the upcaster chain; stored rows are never rewritten."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from event_sourcery.errors import UndecodableEvent, UnsupportedSchemaVersion
from event_sourcery.event import Event
from event_sourcery.registry import EventRegistry, Payload
from event_sourcery.testing.backend import Backend
from event_sourcery.testing.contract.base import BaseContract
from event_sourcery.testing.events import Subscribed, SubscribedV1, SubscribedV2

NAME = "contract.Subscribed"
PRICES = {"basic": 500, "pro": 2000}


def split_plan(data: Payload) -> Payload:
    """1 -> 2: "pro-yearly" became plan "pro" and period "yearly"."""
    plan, period = data["plan"].split("-")
    return {"plan": plan, "period": period}


def add_price(data: Payload) -> Payload:
    """2 -> 3: the price is recorded with the subscription."""
    return {**data, "price_cents": PRICES[data["plan"]]}


def registry_with(cls: type[Event], *upcasters: tuple[int, Any]) -> EventRegistry:
    registry = EventRegistry()
    registry.add(cls, NAME)
    for from_version, upcast in upcasters:
        registry.add_upcaster(NAME, from_version, upcast)
    return registry


def current() -> EventRegistry:
    return registry_with(Subscribed, (1, split_plan), (2, add_price))


class UpcastingContract(BaseContract):
    def test_rows_of_every_schema_version_load_as_the_current_class(self, backend: Backend) -> None:
        stream = uuid4()
        backend.open(registry_with(SubscribedV1)).append(
            SubscribedV1(plan="basic-monthly"), stream_id=stream
        )
        backend.open(registry_with(SubscribedV2)).append(
            SubscribedV2(plan="pro", period="yearly"), stream_id=stream, expected_version=1
        )
        store = backend.open(current())
        store.append(
            Subscribed(plan="pro", period="monthly", price_cents=1999),
            stream_id=stream,
            expected_version=2,
        )
        assert [e.event for e in store.load_stream(stream)] == [
            Subscribed(plan="basic", period="monthly", price_cents=500),
            Subscribed(plan="pro", period="yearly", price_cents=2000),
            Subscribed(plan="pro", period="monthly", price_cents=1999),
        ]

    def test_stored_rows_keep_the_version_and_payload_they_were_written_with(
        self, backend: Backend
    ) -> None:
        stream = uuid4()
        backend.open(registry_with(SubscribedV1)).append(
            SubscribedV1(plan="basic-monthly"), stream_id=stream
        )
        store = backend.open(current())
        store.append(
            Subscribed(plan="pro", period="yearly", price_cents=1),
            stream_id=stream,
            expected_version=1,
        )
        store.load_stream(stream)
        raws = store.load_stream_raw(stream)
        assert [(r.schema_version, r.data) for r in raws] == [
            (1, {"plan": "basic-monthly"}),
            (3, {"plan": "pro", "period": "yearly", "price_cents": 1}),
        ]

    def test_a_row_newer_than_its_class_raises_naming_both_versions(self, backend: Backend) -> None:
        stream = uuid4()
        backend.open(current()).append(
            Subscribed(plan="pro", period="yearly", price_cents=1), stream_id=stream
        )
        older_code = backend.open(registry_with(SubscribedV2, (1, split_plan)))
        with pytest.raises(UnsupportedSchemaVersion, match="schema version 3") as caught:
            older_code.load_stream(stream)
        assert "SubscribedV2 is at version 2" in str(caught.value)
        assert caught.value.version == 1

    def test_a_gap_in_the_upcaster_chain_raises_naming_the_missing_link(
        self, backend: Backend
    ) -> None:
        stream = uuid4()
        backend.open(registry_with(SubscribedV1)).append(
            SubscribedV1(plan="basic-monthly"), stream_id=stream
        )
        gap = backend.open(registry_with(Subscribed, (2, add_price)))
        with pytest.raises(UnsupportedSchemaVersion, match="no upcaster from version 1"):
            gap.load_stream(stream)

    def test_an_upcaster_that_fails_raises_naming_the_row(self, backend: Backend) -> None:
        stream = uuid4()
        backend.open(registry_with(SubscribedV1)).append(
            SubscribedV1(plan="no dash here"), stream_id=stream
        )
        with pytest.raises(UndecodableEvent, match="upcaster from schema version 1") as caught:
            backend.open(current()).load_stream(stream)
        assert caught.value.position > 0
        assert str(stream) in str(caught.value)

    def test_snapshots_are_upcast_like_events(self, backend: Backend) -> None:
        stream = uuid4()
        old = backend.open(registry_with(SubscribedV1))
        old.append(SubscribedV1(plan="basic-monthly"), stream_id=stream)
        old.save_snapshot(stream, SubscribedV1(plan="pro-yearly"), version=1)
        [snapshot] = backend.open(current()).load_stream(stream)
        assert snapshot.event == Subscribed(plan="pro", period="yearly", price_cents=2000)
        assert backend.open(current()).snapshots_raw(stream)[0].schema_version == 1
