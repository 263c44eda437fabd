"""The rebuild workloads on ``eventsourcing==9.5.6`` (imported by its runner script).

The aggregate is an ``eventsourcing.domain.Aggregate`` with explicit event classes
(the library's non-decorator style), each carrying the harness's ``Deposited``
payload and applying ``balance += amount; count += 1``, as our ``Account`` does.
eventsourcing starts every aggregate with a "created" event, so version 1 is
``Account.Opened`` (a ``Created`` event with the first payload; the library adds its
``originator_topic``) and versions 2..10,000 are ``Account.Deposited``.

Snapshots on (``rebuild-snap``): an ``Application`` subclass with
``snapshotting_intervals = {Account: 100}``, so ``app.save`` snapshots every 100
versions into the library's snapshot store (``app.snapshots``). Off: a plain
``Application`` (no snapshot store). Set-up: the account object is kept and saved
after every 100 deposits (``app.save(account)``), the library's usual unit of work.
Measured per rebuild: ``app.repository.get(stream)`` (its cache is off by default,
so every call reads the store: the latest snapshot, then the events after it).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

from _harness import Payload, expect
from _rebuild import SNAPSHOT_EVERY
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate


class Account(Aggregate):
    """The rebuild workloads' aggregate: the sum and number of its deposits."""

    def __init__(self) -> None:
        self.balance = 0
        self.count = 0

    class Opened(Aggregate.Created):
        """The first deposit, which also creates the account."""

        account: str
        amount: int
        note: str

        def apply(self, aggregate: Any) -> None:
            aggregate.balance += self.amount
            aggregate.count += 1

    class Deposited(Aggregate.Event):
        """Every later deposit."""

        account: str
        amount: int
        note: str

        def apply(self, aggregate: Any) -> None:
            aggregate.balance += self.amount
            aggregate.count += 1

    @classmethod
    def open(cls, stream: uuid.UUID, p: Payload) -> Account:
        """Create the account with its first deposit."""
        return cls._create(cls.Opened, id=stream, account=p.account, amount=p.amount, note=p.note)

    def deposit(self, p: Payload) -> None:
        """The command: trigger one ``Deposited``."""
        self.trigger_event(self.Deposited, account=p.account, amount=p.amount, note=p.note)


class SnapshottingApplication(Application[uuid.UUID]):
    """Snapshots an ``Account`` whenever a save reaches a multiple of 100 versions."""

    snapshotting_intervals: ClassVar[dict[Any, int]] = {Account: SNAPSHOT_EVERY}


class EventsourcingRebuilder:
    """Adapter from the rebuild calls to an eventsourcing application."""

    def __init__(self, env: dict[str, str], snapshots: bool) -> None:
        kind = SnapshottingApplication if snapshots else Application
        self.app: Application[uuid.UUID] = kind(env=env)
        expect((self.app.snapshots is not None) == snapshots, "eventsourcing: snapshot store")
        expect(self.app.repository.cache is None, "eventsourcing: repository cache is on")
        self._accounts: dict[uuid.UUID, Account] = {}

    def save(self, stream: uuid.UUID, version: int, payloads: Sequence[Payload]) -> None:
        """Deposit into the kept account (opening it first) and ``app.save`` it."""
        if version == 0:
            account = self._accounts[stream] = Account.open(stream, payloads[0])
            payloads = payloads[1:]
        else:
            account = self._accounts[stream]
            expect(account.version == version, "eventsourcing rebuild set-up: version")
        for p in payloads:
            account.deposit(p)
        self.app.save(account)

    def rebuild(self, stream: uuid.UUID) -> Account:
        """``app.repository.get``: from the latest snapshot, if any, then later events."""
        account: Account = self.app.repository.get(stream)
        return account

    def snapshot_versions(self, stream: uuid.UUID) -> list[int]:
        """The versions of the snapshots in ``app.snapshots`` ([] when there is none)."""
        if self.app.snapshots is None:
            return []
        return [snapshot.originator_version for snapshot in self.app.snapshots.get(stream)]

    def rebuild_start(self, stream: uuid.UUID) -> int:
        """The snapshot ``repository.get`` starts from, looked up as it does, or 0."""
        snapshot_store = self.app.repository.snapshot_store
        if snapshot_store is None:
            return 0
        latest = list(snapshot_store.get(stream, desc=True, limit=1))
        return latest[0].originator_version if latest else 0

    def close(self) -> None:
        """Close the application's connection pool."""
        self.app.close()
