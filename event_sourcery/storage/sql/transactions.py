"""Where the SQL backend gets its connection: the caller's Session, or its own Engine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Protocol

from sqlalchemy import Dialect, Engine
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


class Transactions(Protocol):
    """Hands out a connection for one unit of work."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def atomic_writes(self) -> bool:
        """True when an exception leaving ``write()`` undoes everything written inside it
        (an own transaction, or a savepoint); otherwise storage undoes its own writes."""
        ...

    def write(self) -> AbstractContextManager[Connection]: ...

    def read(self) -> AbstractContextManager[Connection]: ...

    def close(self) -> None:
        """Release connections this object opened itself."""
        ...


class SessionTransactions:
    """Statements run in the caller's Session transaction; the caller commits or rolls back.

    On PostgreSQL each write runs in a SAVEPOINT, so that a refused append leaves the caller's
    transaction usable (a failed statement would otherwise abort all of it). pysqlite cannot
    be trusted with SAVEPOINTs on an engine we did not set up, so on SQLite the storage takes
    its own writes back instead.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def dialect(self) -> Dialect:
        return self._session.get_bind().dialect

    @property
    def atomic_writes(self) -> bool:
        return self.dialect.name == "postgresql"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        if not self.atomic_writes:
            yield self._session.connection()
            return
        with self._session.begin_nested():
            yield self._session.connection()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        yield self._session.connection()

    def close(self) -> None:
        """The session is the caller's to close."""


class EngineTransactions:
    """Each unit of work is its own transaction on the store's Engine, committed on success.

    ``serialize`` puts units of work behind a lock, for engines whose threads share one
    connection (in-memory SQLite).
    """

    atomic_writes = True

    def __init__(self, engine: Engine, owns_engine: bool = False, serialize: bool = False) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self._owns_engine = owns_engine
        self._lock: AbstractContextManager[object] = (
            threading.RLock() if serialize else nullcontext()
        )

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self._lock, self.engine.begin() as connection:
            yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self._lock, self.engine.connect() as connection:
            yield connection

    def close(self) -> None:
        """Dispose of the engine's pool if this object created the engine."""
        if self._owns_engine:
            self.engine.dispose()
