"""Where the SQL backend gets its driver connection: the caller's Session, or its own Engine."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Protocol

from sqlalchemy import Dialect, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from event_sourcery.errors import ConnectionFailed
from event_sourcery.storage.sql import dialects
from event_sourcery.storage.sql.driver import as_sqlalchemy_error


class Transactions(Protocol):
    """Hands out the connection for one unit of work."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def engine(self) -> Engine:
        """The engine behind the connections (subscribers open their own on it)."""
        ...

    @property
    def atomic_writes(self) -> bool:
        """True when an exception leaving ``write()`` undoes everything written inside it
        (an own transaction, or a savepoint); otherwise storage undoes its own writes."""
        ...

    def write(self) -> AbstractContextManager[DBAPIConnection]: ...

    def read(self) -> AbstractContextManager[DBAPIConnection]: ...

    def close(self) -> None:
        """Release connections this object opened itself."""
        ...


class SessionTransactions:
    """Statements run in the caller's Session transaction; the caller commits or rolls back.

    On PostgreSQL each write runs in a SAVEPOINT of its own, so that a refused append leaves
    the caller's transaction usable (a failed statement would otherwise abort all of it); it
    is issued on the driver connection, so the session does not flush pending ORM objects
    first. pysqlite cannot be trusted with SAVEPOINTs on an engine we did not set up, so on
    SQLite the storage takes its own writes back instead.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def dialect(self) -> Dialect:
        return self._session.get_bind().dialect

    @property
    def engine(self) -> Engine:
        bind = self._session.get_bind()
        return bind if isinstance(bind, Engine) else bind.engine

    @property
    def atomic_writes(self) -> bool:
        return self.dialect.name == "postgresql"

    @contextmanager
    def write(self) -> Iterator[DBAPIConnection]:
        connection = self._connection()
        if not self.atomic_writes:
            yield connection
            return
        dialects.execute(connection, dialects.SAVEPOINT)
        try:
            yield connection
        except BaseException:
            dialects.execute(connection, dialects.ROLLBACK_TO_SAVEPOINT)
            raise
        dialects.execute(connection, dialects.RELEASE_SAVEPOINT)

    @contextmanager
    def read(self) -> Iterator[DBAPIConnection]:
        yield self._connection()

    def close(self) -> None:
        """The session is the caller's to close."""

    def _connection(self) -> DBAPIConnection:
        return self._session.connection().connection


class EngineTransactions:
    """Each unit of work is its own transaction on a pooled connection, committed on success.

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

    def write(self, then: Sequence[str] = (), deferred: bool = False) -> _PooledUnit:
        """A unit of work that writes; ``then`` opens it (see ``dialects.begin_write``).
        ``deferred``: where the driver allows (``dialects.begins_with_first_statement``),
        the BEGIN and ``then`` go with the unit's first statement, which must send
        ``unit.opening()`` as its ``before``: one round trip fewer."""
        return _PooledUnit(self.engine, self._lock, writes=True, then=then, deferred=deferred)

    def read(self) -> _PooledUnit:
        return _PooledUnit(self.engine, self._lock, writes=False)

    def close(self) -> None:
        """Dispose of the engine's pool if this object created the engine."""
        if self._owns_engine:
            self.engine.dispose()


class _PooledUnit:
    """One unit of work on a pooled connection: commit (writes) or roll back (reads) at the
    end, roll back on error, then give the connection back. A plain class rather than a
    generator context manager, as it runs on every append."""

    __slots__ = ("_connection", "_deferred", "_engine", "_lock", "_opening", "_then", "_writes")

    def __init__(
        self,
        engine: Engine,
        lock: AbstractContextManager[object],
        writes: bool,
        then: Sequence[str] = (),
        deferred: bool = False,
    ) -> None:
        self._engine = engine
        self._lock = lock
        self._writes = writes
        self._then = then
        self._deferred = deferred
        self._opening: tuple[str, ...] = ()

    def __enter__(self) -> DBAPIConnection:
        self._lock.__enter__()
        try:
            try:
                self._connection = connection = self._engine.raw_connection()
            except self._engine.dialect.loaded_dbapi.Error as error:
                # Engine.raw_connection hands the driver's own error on as it is.
                wrapped = as_sqlalchemy_error(self._engine.dialect, error, "connect")
                assert isinstance(wrapped, DBAPIError)
                raise ConnectionFailed(_where(self._engine), wrapped) from error
            except DBAPIError as error:
                raise ConnectionFailed(_where(self._engine), error) from error
            self._opening = ()
            if self._deferred and dialects.begins_with_first_statement(
                connection, self._engine.dialect
            ):
                self._opening = ("BEGIN", *self._then)
            elif self._writes:
                try:
                    dialects.begin_write(connection, self._engine.dialect.name, self._then)
                except self._engine.dialect.loaded_dbapi.Error as error:
                    failure = self._failed(error, "BEGIN")
                    connection.close()
                    raise failure from error
                except BaseException:
                    connection.close()
                    raise
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return connection

    def opening(self) -> tuple[str, ...]:
        """The statements a deferred unit's first statement sends before itself (once; then
        none): BEGIN and ``then``, or none if the unit has begun already."""
        opening, self._opening = self._opening, ()
        return opening

    def begin(self) -> None:
        """Send a deferred unit's opening now, for a first statement that cannot carry it;
        a driver error arrives as SQLAlchemy's, as a statement's would."""
        if opening := self.opening():
            sql = "; ".join(opening)
            try:
                dialects.execute(self._connection, sql)
            except self._engine.dialect.loaded_dbapi.Error as error:
                dialect = self._engine.dialect
                raise as_sqlalchemy_error(
                    dialect, error, sql, connection=self._connection
                ) from error

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        connection = self._connection
        try:
            if (
                isinstance(exc, DBAPIError)
                and exc.connection_invalidated
                and not isinstance(exc, ConnectionFailed)
            ):
                self._discard(exc)
                raise self._lost(exc) from exc
            self._end(commit=exc_type is None and self._writes)
        finally:
            connection.close()
            self._lock.__exit__(None, None, None)

    def _end(self, commit: bool) -> None:
        try:
            if commit:
                self._connection.commit()
            else:
                self._connection.rollback()
        except self._engine.dialect.loaded_dbapi.Error as error:
            raise self._failed(error, "COMMIT" if commit else "ROLLBACK") from error
        except BaseException:
            self._connection.invalidate()  # state unknown: never hand it out again
            raise

    def _failed(self, error: Exception, sql: str) -> DBAPIError:
        """A driver error on BEGIN, COMMIT or ROLLBACK as SQLAlchemy's own exception (as
        every statement's is), or ``ConnectionFailed`` if the connection broke; the
        connection is discarded. The caller closes it."""
        wrapped = as_sqlalchemy_error(self._engine.dialect, error, sql, connection=self._connection)
        assert isinstance(wrapped, DBAPIError)
        if wrapped.connection_invalidated:
            self._discard(error)
            return self._lost(wrapped)
        self._connection.invalidate(error)
        return wrapped

    def _discard(self, error: BaseException) -> None:
        """The server went away: drop this connection and, as SQLAlchemy does on a
        disconnect, every other one the pool made before it (they are as stale: a restart
        kills them all), each replaced when next checked out; so one call fails, not one
        per pooled connection."""
        # Pool._invalidate is what SQLAlchemy itself calls on a disconnect (2.0 and 2.1
        # alike; test_connection_loss.py runs on both in `make test`).
        self._engine.pool._invalidate(self._connection, error)

    def _lost(self, error: DBAPIError) -> ConnectionFailed:
        statement = (error.statement or "").rstrip().rstrip(";").upper()
        committing = self._writes and statement.endswith("COMMIT")
        if committing:
            during = "while committing"
        else:
            during = "during a write, before it committed" if self._writes else "during a read"
        return ConnectionFailed(_where(self._engine), error, during, outcome_unknown=committing)


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)
