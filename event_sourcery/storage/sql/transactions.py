"""Where the SQL backend gets its connection: the caller's Session, or its own Engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from sqlalchemy import Dialect, Engine
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


class Transactions(Protocol):
    """Hands out a connection for one unit of work."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def owns_transaction(self) -> bool:
        """True when leaving ``write()`` commits, or rolls back on error, by itself."""
        ...

    def write(self) -> AbstractContextManager[Connection]: ...

    def read(self) -> AbstractContextManager[Connection]: ...

    def close(self) -> None:
        """Release connections this object opened itself."""
        ...


class SessionTransactions:
    """Statements run in the caller's Session transaction; the caller commits or rolls back."""

    owns_transaction = False

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def dialect(self) -> Dialect:
        return self._session.connection().dialect

    @contextmanager
    def write(self) -> Iterator[Connection]:
        yield self._session.connection()

    read = write

    def close(self) -> None:
        """The session is the caller's to close."""


class EngineTransactions:
    """Each unit of work is its own transaction on the store's Engine, committed on success."""

    owns_transaction = True

    def __init__(self, engine: Engine, owns_engine: bool = False) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self._owns_engine = owns_engine

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            yield connection

    def close(self) -> None:
        """Dispose of the engine's pool if this object created the engine."""
        if self._owns_engine:
            self.engine.dispose()
