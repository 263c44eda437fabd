"""The ``outbox-*`` workloads: outbox entries delivered per second by 1 or 4 relays.

Standard library only, like ``_harness`` (which runs it for ``--workload outbox-1``,
``outbox-4`` and ``outbox-rabbitmq``). A runner whose library has a transactional outbox
supplies a :class:`Relay`: a store whose appends write outbox entries in the same
transaction, and the library's own relay handing entries, a batch of at most ``BATCH``
at a time, to a publisher that notes the event's uuid and does nothing else (for
``outbox-rabbitmq``: after sending it to the broker and getting its confirm).

Untimed set-up: the runner's process opens a relay (which creates the tables), appends
``ENTRIES`` events, each the one event of a new stream (payloads 0..4,999), checks that
they are all pending, and closes it before forking. Every relay is a process forked from
the runner (so it uses the runner's ``open_relay``) with its own store and connections;
they open them and read the ledger (which connects) one at a time, and wait at a barrier.
Timed: each relay asks for a batch, again and again, until it gets none (with more than
one relay: none twice in a row, since a relay also gets none while the others hold every
entry left); from the barrier's release to the last relay's last call returning
(``time.monotonic()``, the earliest start to the latest finish, as in ``_writers``).
Untimed afterwards: the publishers were called ``ENTRIES`` times in all, with ``ENTRIES``
distinct event uuids; the ledger must show no entry pending or dead and, where the
library keeps them, ``ENTRIES`` delivered with one attempt each, and the broker's queue
must hold ``ENTRIES`` messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

from _harness import Options, Payload, expect, payload
from _writers import WAIT_SECONDS, Rendezvous, run_together

ENTRIES = 5_000
"""Events appended, one stream each, and so entries to deliver."""
BATCH = 100
"""The most entries one call of a relay takes."""
RELAYS = {"outbox-1": 1, "outbox-4": 4, "outbox-rabbitmq": 1}
"""Relay processes per workload."""


class Ledger(NamedTuple):
    """What the outbox and the broker hold; None where the library or row keeps no such
    record (python-event-sourcery deletes delivered entries and records no attempts)."""

    pending: int
    dead: int
    delivered: int | None
    attempts: int | None
    queued: int | None
    """Messages waiting in the queue bound to the run's exchange (None: no broker)."""


class Relay(Protocol):
    """One store with its outbox on, its relay and a publisher that notes uuids."""

    def fill(self, payloads: Sequence[Payload]) -> None:
        """Append each payload as the one event of a new stream, with its outbox entry."""

    def deliver(self) -> int:
        """One call of the library's relay (at most ``BATCH`` entries); how many it took."""

    def seen(self) -> list[str]:
        """The uuid of every event the publisher was handed, in order."""

    def ledger(self) -> Ledger:
        """What the outbox (and the broker) hold now."""

    def close(self) -> None:
        """Release connections; called once, after timing."""


class Span(NamedTuple):
    """One relay's run: when it started and finished, and what its publisher saw."""

    started: float
    finished: float
    seen: list[str]


def measure(open_relay: Callable[[Options], Relay], options: Options) -> tuple[int, float]:
    """Fill the outbox, run the relays; the entries delivered and the seconds it took."""
    count = RELAYS[options.workload]
    _fill(open_relay(options))
    results = run_together(_relay, (open_relay, options, count), count, "outbox")
    spans = [Span(*result) for result in results]
    _check([uuid for span in spans for uuid in span.seen], open_relay(options))
    started = min(span.started for span in spans)
    finished = max(span.finished for span in spans)
    return ENTRIES, finished - started


def _fill(relay: Relay) -> None:
    """Append the events (untimed) and check that their entries are all pending."""
    try:
        relay.fill([payload(index, index % 1000) for index in range(ENTRIES)])
        pending = relay.ledger().pending
    finally:
        relay.close()
    expect(pending == ENTRIES, f"outbox set-up: {pending} entries pending, not {ENTRIES}")


def _relay(
    open_relay: Callable[[Options], Relay],
    options: Options,
    relays: int,
    number: int,
    shared: Rendezvous,
) -> None:
    """One relay process: connect (one at a time), wait for all, deliver, report its span."""
    empty_calls_to_stop = 1 if relays == 1 else 2
    try:
        with shared.setup:
            relay = open_relay(options)
            relay.ledger()
        try:
            shared.barrier.wait(timeout=WAIT_SECONDS)
            started = time.monotonic()
            empty = 0
            while empty < empty_calls_to_stop:
                empty = 0 if relay.deliver() else empty + 1
            finished = time.monotonic()
            seen = relay.seen()
        finally:
            relay.close()
    except BaseException as error:
        shared.barrier.abort()  # the others stop waiting for this one
        shared.results.put(("failed", f"relay {number}: {error!r}"))
        raise
    shared.results.put((started, finished, seen))


def _check(seen: list[str], relay: Relay) -> None:
    """Every entry delivered once, as the publishers and the ledger tell."""
    try:
        ledger = relay.ledger()
    finally:
        relay.close()
    expect(len(seen) == ENTRIES, f"outbox: {len(seen)} publisher calls, not {ENTRIES}")
    expect(len(set(seen)) == ENTRIES, f"outbox: {len(set(seen))} distinct events published")
    expect(ledger.pending == 0 and ledger.dead == 0, f"outbox: left over: {ledger}")
    for field in ("delivered", "attempts", "queued"):
        value = getattr(ledger, field)
        expect(value in (None, ENTRIES), f"outbox: {value} {field}, not {ENTRIES}")
