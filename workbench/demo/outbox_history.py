"""The demo's outbox history: the library's relay, on a manual clock, delivers most entries to
a broker whose failures follow from the seed, and stops with some entries still pending."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from uuid import UUID

from tqdm.auto import tqdm

from event_sourcery import Event, EventStore, Outbox, Recorded, RelayReport, RetryPolicy
from event_sourcery.testing.clock import ManualClock

RELAY_ID = "demo-relay-1"
RETRY_POLICY = RetryPolicy(base=15.0, cap=900.0, max_attempts=4)
BATCH = 200
POLL = 20.0
"""Seconds the relay's clock moves on between batches."""
LEFT_PENDING = 0.02
"""The share of entries the relay never gets to."""
OUTAGE_BATCHES = 3


class BrokerUnavailable(ConnectionError):
    """The broker refused the connection (an outage: every publish fails)."""


class PublishTimeout(TimeoutError):
    """The broker did not confirm in time (passing: a retry goes through)."""


class MessageRejected(ValueError):
    """The broker will never take this message (it ends up dead)."""


class FlakyBroker:
    """A publisher standing in for a message broker. Which messages fail, how often, and
    how long each publish takes follow from the seed and the event's uuid alone."""

    def __init__(self, seed: int, clock: ManualClock, outage: range) -> None:
        self.seed = seed
        self.clock = clock
        self.outage = outage
        self.batch = 0
        self.attempts: dict[UUID, int] = {}
        self.delivered = 0

    def __call__(self, recorded: Recorded[Event]) -> None:
        draw = self._draw(recorded.uuid)
        self.clock.advance((3 + draw % 37) / 1000)  # 3 to 39 ms a publish
        tried = self.attempts[recorded.uuid] = self.attempts.get(recorded.uuid, 0) + 1
        if self.batch in self.outage:
            raise BrokerUnavailable("connection to amqp://broker.demo:5672 refused")
        share = (draw >> 8) % 1000
        if recorded.position == 1 or share < 4:
            raise MessageRejected(
                f"exchange 'billing' rejected message {recorded.uuid}: no queue bound "
                f"for routing key {recorded.stream_id.category}.{type(recorded.event).__name__}"
            )
        if share < 50 and tried <= 1 + share % 2:
            raise PublishTimeout("no publisher confirm from broker.demo within 5.0 s")
        self.delivered += 1

    @property
    def seen(self) -> int:
        """Entries the broker was handed at least once."""
        return len(self.attempts)

    def _draw(self, uuid: UUID) -> int:
        digest = hashlib.blake2b(uuid.bytes, digest_size=8, key=str(self.seed).encode())
        return int.from_bytes(digest.digest(), "big")


def relay_history(store: EventStore, seed: int, *, progress: bool) -> RelayReport:
    """Relay the store's pending entries until all but ``LEFT_PENDING`` of them were
    tried: failed attempts, retries, dead letters, and a short broker outage on the way."""
    total = sum(store.outbox.counts().values())
    target = total - max(1, round(total * LEFT_PENDING))
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    clock = ManualClock(start)  # after every entry's creation, so that all are due
    outbox = Outbox(store, clock=clock, retry_policy=RETRY_POLICY, relay_id=RELAY_ID)
    first_outage = int(target / BATCH * 0.4)
    broker = FlakyBroker(seed, clock, range(first_outage, first_outage + OUTAGE_BATCHES))
    report = RelayReport()
    rounds = 0
    with tqdm(total=max(target, 0), disable=not progress, desc="outbox", unit="entry") as bar:
        while broker.seen < target and rounds < 4 * total // BATCH + 1_000:
            seen = broker.seen
            batch = outbox.run_once(broker, limit=min(BATCH, target - seen))
            report += batch
            broker.batch, rounds = broker.batch + 1, rounds + 1
            clock.advance(POLL if batch.claimed else RETRY_POLICY.base)
            bar.update(broker.seen - seen)
    return report
