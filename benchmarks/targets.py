"""Fresh, isolated databases for every run: a new SQLite file or PostgreSQL schema.

Every runner invocation gets a database nobody else has written to, so no run
sees another's tables or pays for another's index growth. SQLite: a file in a new
temporary directory, removed afterwards. PostgreSQL: a new schema, handed to the
runner with ``--schema`` (runners point ``search_path`` or their schema setting
at it) and dropped with ``CASCADE`` afterwards. The broker row also gets a fresh
RabbitMQ exchange and queue (``broker.fresh_exchange``), deleted afterwards.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from benchmarks.broker import fresh_exchange


@dataclass(frozen=True)
class Target:
    """Where one runner invocation writes: its ``--url`` and optional ``--schema``, and
    where it publishes: the optional ``--amqp-url`` and ``--exchange``."""

    url: str
    schema: str | None = None
    amqp_url: str | None = None
    exchange: str | None = None

    def arguments(self) -> list[str]:
        """The runner command-line arguments that point at this target."""
        schema = ["--schema", self.schema] if self.schema else []
        broker = ["--amqp-url", self.amqp_url] if self.amqp_url else []
        exchange = ["--exchange", self.exchange] if self.exchange else []
        return ["--url", self.url, *schema, *broker, *exchange]


def libpq_url(url: str) -> str:
    """A SQLAlchemy-style ``postgresql+psycopg://`` URL as plain libpq accepts it."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}://{rest}"


def display_url(url: str) -> str:
    """The URL with any password replaced by ``***``, fit for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def _pg_connect(url: str) -> Any:
    """An autocommit psycopg connection (imported late: only PG rows need it)."""
    import psycopg

    return psycopg.connect(libpq_url(url), autocommit=True, connect_timeout=5)


def postgres_server(url: str) -> str | Exception:
    """A one-line description of the server, or the error that makes it unusable."""
    try:
        with _pg_connect(url) as conn:
            settings = [
                str(conn.execute(f"SHOW {name}").fetchone()[0])
                for name in ("server_version", "fsync", "synchronous_commit")
            ]
    except Exception as error:  # any failure means: skip the PostgreSQL rows
        return error
    version, fsync, synchronous_commit = settings
    return f"PostgreSQL {version} (fsync={fsync}, synchronous_commit={synchronous_commit})"


@contextmanager
def fresh_target(
    backend: str, postgres_url: str, label: str, amqp_url: str | None = None
) -> Iterator[Target]:
    """A new SQLite file, or a new schema named after ``label`` on ``postgres_url``; with
    ``amqp_url``, also a new exchange (and queue) on that broker."""
    with _fresh_database(backend, postgres_url, label) as target:
        if amqp_url is None:
            yield target
            return
        with fresh_exchange(amqp_url, label) as exchange:
            yield replace(target, amqp_url=amqp_url, exchange=exchange)


@contextmanager
def _fresh_database(backend: str, postgres_url: str, label: str) -> Iterator[Target]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"bench-{label}-") as directory:
            yield Target(f"sqlite:///{directory}/events.db")
        return
    # Identifier characters only: eventsourcing names types after the schema, unquoted.
    schema = f"bench_{label.replace('-', '_')}_{secrets.token_hex(4)}"
    with _pg_connect(postgres_url) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield Target(postgres_url, schema)
    finally:
        with _pg_connect(postgres_url) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
