"""The store the workbench tests read: two wallets (one with a snapshot, one written in
another time zone), correlated and caused events, and an event of a type only its writer
knows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import ClassVar
from uuid import UUID

from event_sourcery import (
    ANY,
    Context,
    Envelope,
    Event,
    EventRegistry,
    StreamId,
    connect,
)
from tests.workbench.domain import MoneyMoved, Owner, OwnerMoved, WalletOpened, WalletSnapshot

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ADA = StreamId(name="wallet-ada", category="wallet")
BOB = StreamId(name="wallet-bob", category="wallet")
MISC = StreamId(name="misc")
PLUS_FIVE = timezone(timedelta(hours=5))
UNKNOWN_TYPE = "wb.KnownOnlyToItsWriter"


class Secret(Event):
    """Written through the writer's own registry under ``UNKNOWN_TYPE``, a name no other
    registry knows."""

    __event_name__: ClassVar[str] = "wb.Secret"
    code: str


@dataclass(frozen=True)
class Written:
    opened: UUID
    deposit: UUID
    withdrawal: UUID
    moved: UUID
    bob_opened: UUID
    secret: UUID


def uid(n: int) -> UUID:
    return UUID(int=n)


def write_store(url: str) -> Written:
    """Fill the store at ``url`` (tables created) with the tests' events."""
    store = connect(url, with_outbox=True)
    try:
        opened = Envelope(
            event=WalletOpened(owner=Owner(name="Ada", city="Oslo"), limit=100),
            uuid=uid(1),
            created_at=T0,
        )
        caused = Context(correlation_id=uid(1), causation_id=uid(1))
        deposit = Envelope(
            event=MoneyMoved(amount=50, note="<script>alert(1)</script>"),
            uuid=uid(2),
            created_at=T0 + timedelta(hours=1),
            context=caused,
        )
        withdrawal = Envelope(
            event=MoneyMoved(amount=-80),
            uuid=uid(3),
            created_at=T0 + timedelta(hours=2),
            context=Context(correlation_id=uid(1), causation_id=uid(2)),
        )
        moved = Envelope(
            event=OwnerMoved(city="Bergen"), uuid=uid(4), created_at=T0 + timedelta(hours=3)
        )
        store.append(opened, deposit, withdrawal, stream_id=ADA)
        bob = Envelope(
            event=WalletOpened(owner=Owner(name="Bob", city="Rome"), limit=10),
            uuid=uid(5),
            created_at=datetime(2026, 3, 1, 14, 30, tzinfo=PLUS_FIVE),  # 09:30 UTC
        )
        store.append(bob, stream_id=BOB)
        store.append(moved, stream_id=ADA, expected_version=ANY)
        store.save_snapshot(
            ADA, WalletSnapshot(owner={"name": "Ada", "city": "Oslo"}, balance=50, moves=1), 2
        )
    finally:
        store.close()
    registry = EventRegistry()
    registry.add(Secret, UNKNOWN_TYPE)
    writer = connect(url, registry=registry)
    try:
        writer.append(
            Envelope(event=Secret(code="x"), uuid=uid(6), created_at=T0 + timedelta(hours=4)),
            stream_id=MISC,
        )
    finally:
        writer.close()
    return Written(uid(1), uid(2), uid(3), uid(4), uid(5), uid(6))
