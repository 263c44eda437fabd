"""Stores for the property tests: memory, a SQLite file, PostgreSQL in a schema of its own.

``Stores`` hands out a fresh, empty store for each example and reopens one as a new
process would (``connect`` again to the same URL)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Protocol

import pytest
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy import Engine, create_engine

from event_sourcery import EventStore, connect
from event_sourcery.storage.sql import tables
from tests.conftest import schema_of_its_own


class Stores(Protocol):
    name: str

    def fresh(self) -> EventStore:
        """An empty store."""
        ...

    def reopen(self, store: EventStore) -> EventStore:
        """``store`` closed, and the same data opened again."""
        ...


class MemoryStores:
    """In-memory stores. Their data lives in the process, so "reopening" closes the store
    and builds a new EventStore over the same storage object."""

    name = "memory"

    def fresh(self) -> EventStore:
        return connect("memory://")

    def reopen(self, store: EventStore) -> EventStore:
        store.close()
        return EventStore(store.storage)


class SQLiteStores:
    """A new database file for every fresh store, in pytest's tmp dir."""

    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._numbers = count()
        self._urls: dict[int, str] = {}

    def fresh(self) -> EventStore:
        url = f"sqlite:///{self._directory / f'events-{next(self._numbers)}.db'}"
        store = connect(url)
        self._urls[id(store)] = url
        return store

    def reopen(self, store: EventStore) -> EventStore:
        url = self._urls.pop(id(store))
        store.close()
        again = connect(url)
        self._urls[id(again)] = url
        return again


class PostgresStores:
    """Stores on one schema of their own; a fresh store finds its tables emptied."""

    name = "postgresql"

    def __init__(self, url: str) -> None:
        self._url = url
        connect(url).close()  # creates the tables
        self._cleaner = create_engine(url)

    def fresh(self) -> EventStore:
        with self._cleaner.begin() as conn:
            for table in reversed(tables.metadata.sorted_tables):
                conn.execute(table.delete())
        return connect(self._url, create_tables=False)  # made once, in __init__

    def reopen(self, store: EventStore) -> EventStore:
        store.close()
        return connect(self._url)

    def dispose(self) -> None:
        self._cleaner.dispose()


@pytest.fixture(scope="session", autouse=True)
def hypothesis_home_in_a_tmp_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Hypothesis keeps caches (constants, Unicode tables) in ``.hypothesis/`` of the
    working directory even without an example database: here they go to pytest's tmp dir."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    yield
    set_hypothesis_home_dir(None)


@pytest.fixture(scope="session")
def property_postgres_url(postgres_engine: Engine) -> Iterator[str]:
    """A schema of the property tests' own (``postgres_engine`` skips or fails the tests
    when the server is down, as everywhere else)."""
    with schema_of_its_own(postgres_engine, "es_property") as url:
        yield url


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    if request.param == "memory":
        yield MemoryStores()
    elif request.param == "sqlite":
        yield SQLiteStores(tmp_path)
    else:
        postgres = PostgresStores(request.getfixturevalue("property_postgres_url"))
        yield postgres
        postgres.dispose()


@pytest.fixture
def store(stores: Stores) -> Iterator[EventStore]:
    """One empty store of each backend, shared by a property's examples."""
    opened = stores.fresh()
    yield opened
    opened.close()
