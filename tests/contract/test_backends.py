"""The contract suite against every backend we ship: memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from event_sourcery import connect
from event_sourcery.storage.sql.storage import SqlStorage
from event_sourcery.storage.sql.transactions import EngineTransactions
from event_sourcery.testing import Backend, EventStoreContract
from tests.contract.backends import MemoryBackend, SqlBackend


def _engine_of(url: str) -> Engine:
    storage = connect(url).storage
    assert isinstance(storage, SqlStorage)
    transactions = storage.transactions
    assert isinstance(transactions, EngineTransactions)
    return transactions.engine


class TestMemory(EventStoreContract):
    @pytest.fixture
    def backend(self) -> Backend:
        return MemoryBackend()


class TestSQLite(EventStoreContract):
    @pytest.fixture
    def backend(self, tmp_path: Path) -> Iterator[Backend]:
        url = f"sqlite:///{tmp_path / 'events.db'}"
        engine = _engine_of(url)
        yield SqlBackend("sqlite", engine, url)
        engine.dispose()


@pytest.mark.postgres
class TestPostgreSQL(EventStoreContract):
    @pytest.fixture
    def backend(self, postgres_engine: Engine, postgres_url: str) -> Backend:
        return SqlBackend("postgresql", postgres_engine, postgres_url)


@pytest.mark.postgres
class TestPostgreSQLOwnEngine(EventStoreContract):
    """The engine ``connect(url)`` makes for itself: reads in autocommit."""

    @pytest.fixture
    def backend(self, postgres_url: str) -> Iterator[Backend]:
        engine = _engine_of(postgres_url)
        pooled = engine.raw_connection()
        assert pooled.dbapi_connection is not None
        assert pooled.dbapi_connection.autocommit
        pooled.close()
        # Sessions on an autocommit engine have no transaction to own: those tests skip.
        yield SqlBackend("postgresql-own-engine", engine, postgres_url, sessions=False)
        engine.dispose()
