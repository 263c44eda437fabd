"""Harnesses that put our three backends under the contract suite."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from event_sourcery import EventRegistry, EventStore, connect, default_registry, get_event_store
from event_sourcery.storage.sql import tables


@dataclass
class SessionTransaction:
    """A SQLAlchemy Session with a store bound to it."""

    session: Session
    store: EventStore

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


class MemoryBackend:
    name = "memory"

    def __init__(self) -> None:
        self._storage = connect("memory://").storage

    def open(self, registry: EventRegistry | None = None) -> EventStore:
        return EventStore(self._storage, registry or default_registry)

    def caller_transaction(self) -> None:
        return None

    def url(self) -> None:
        return None


class SqlBackend:
    """SQLite or PostgreSQL through an Engine; the tables are emptied for each test."""

    def __init__(self, name: str, engine: Engine, url: str, sessions: bool = True) -> None:
        self.name = name
        self._sessions = sessions
        self._engine = engine
        self._url = url
        connect(engine)
        with engine.begin() as conn:
            for table in reversed(tables.metadata.sorted_tables):
                conn.execute(table.delete())

    def open(self, registry: EventRegistry | None = None) -> EventStore:
        return connect(self._engine, registry=registry or default_registry, create_tables=False)

    def caller_transaction(self) -> AbstractContextManager[SessionTransaction] | None:
        return self._session_transaction() if self._sessions else None

    @contextmanager
    def _session_transaction(self) -> Iterator[SessionTransaction]:
        with Session(self._engine) as session:
            yield SessionTransaction(session, get_event_store(session))

    def url(self) -> str:
        return self._url
