"""Our library, ``event_sourcery`` from the repository venv, used as a user would.

SQLite: ``connect("sqlite:////path/events.db")`` (the library sets WAL,
``synchronous=FULL`` and ``busy_timeout`` on every connection itself).
PostgreSQL: ``connect(engine)`` with an Engine whose ``search_path`` is the fresh
schema the orchestrator created for this run.

Measured per append: build the ``Deposited`` objects and call
``store.append(*events, stream_id=..., expected_version=r)`` (one transaction).
Measured per load: ``store.load_stream(stream)`` plus taking ``.event`` (a typed
``Deposited``) out of each envelope.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

import _harness
from _harness import Options, Payload

from event_sourcery import Event, connect


class Deposited(Event):
    """The benchmark event; the same shape every implementation uses."""

    account: str
    amount: int
    note: str


class Ours:
    """Adapter from the harness calls to our public API."""

    def __init__(self, store: Any, close: Callable[[], None]) -> None:
        self._store = store
        self._close = close

    def append(self, stream: uuid.UUID, expected_version: int, payloads: Sequence[Payload]) -> None:
        """One ``store.append`` call with all events and the expected version."""
        events = [Deposited(account=p.account, amount=p.amount, note=p.note) for p in payloads]
        self._store.append(*events, stream_id=stream, expected_version=expected_version)

    def load(self, stream: uuid.UUID) -> list[Deposited]:
        """``store.load_stream`` and the typed event of each envelope."""
        return [envelope.event for envelope in self._store.load_stream(stream)]

    def close(self) -> None:
        """Close the store (if it can be closed) and dispose of our engine."""
        close_store = getattr(self._store, "close", None)
        if callable(close_store):
            close_store()
        self._close()


def open_store(options: Options) -> Ours:
    """``connect`` to the URL (SQLite) or to an Engine scoped to the run's schema."""
    if options.backend == "sqlite":
        return Ours(connect(options.url), lambda: None)
    import sqlalchemy

    connect_args = {"options": f"-csearch_path={options.schema}"} if options.schema else {}
    engine = sqlalchemy.create_engine(options.url, connect_args=connect_args)
    return Ours(connect(engine), engine.dispose)


if __name__ == "__main__":
    _harness.main(open_store)
