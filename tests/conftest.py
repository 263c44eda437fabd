"""Shared fixtures: the PostgreSQL server (a fresh schema per test session) and backends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import uuid4

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _services_required() -> bool:
    return os.environ.get("EVENT_SOURCERY_REQUIRE_SERVICES") == "1"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A URL whose connections use a schema of their own, dropped after the session."""
    base = os.environ.get("EVENT_SOURCERY_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    admin = create_engine(base)
    try:
        with admin.connect():
            pass
    except OperationalError as error:
        admin.dispose()
        reason = f"PostgreSQL at {make_url(base)!r} is unreachable: {error.orig}"
        if _services_required():
            pytest.fail(f"{reason} (EVENT_SOURCERY_REQUIRE_SERVICES=1)")
        pytest.skip(reason)
    try:
        with schema_of_its_own(admin, "es_test") as url:
            yield url
    finally:
        admin.dispose()


@contextmanager
def schema_of_its_own(admin: Engine, prefix: str) -> Iterator[str]:
    """A URL on ``admin``'s server whose connections use a new schema, dropped afterwards."""
    schema = f"{prefix}_{uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = create_engine(postgres_url, pool_pre_ping=True)
    yield engine
    engine.dispose()
