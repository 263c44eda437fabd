"""Workbench fixtures: a fresh, empty store URL on SQLite (a file) and on PostgreSQL (a
schema of its own, dropped afterwards), so every test sees only what it writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import schema_of_its_own


@pytest.fixture
def fresh_postgres_url(postgres_engine: Engine) -> Iterator[str]:
    """A URL on a new, empty PostgreSQL schema (``postgres_engine`` proves the server is up)."""
    with schema_of_its_own(postgres_engine, "wb_test") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store's URL, on each SQL backend in turn (tables not created yet)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url
