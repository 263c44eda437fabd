"""connect(url)'s own PostgreSQL engine after the server dropped its connections: an idle
connection is checked and replaced unseen; one dropped mid-use fails one call, not two."""

from __future__ import annotations

import time
from uuid import uuid4

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from event_sourcery import connect
from event_sourcery.storage.sql.dialects import IDLE_PING_SECONDS
from event_sourcery.testing.events import Deposited

pytestmark = pytest.mark.postgres


def _drop_connections(postgres_url: str, application_name: str) -> None:
    admin = create_engine(postgres_url)
    with admin.connect() as conn:
        dropped = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :n"
            ),
            {"n": application_name},
        ).scalar_one()
    admin.dispose()
    assert dropped >= 1


def _named(postgres_url: str) -> tuple[str, str]:
    name = f"es-loss-{uuid4().hex[:8]}"
    url = make_url(postgres_url).update_query_dict({"application_name": name})
    return url.render_as_string(hide_password=False), name


def test_an_idle_dead_connection_is_replaced_before_use(postgres_url: str) -> None:
    url, name = _named(postgres_url)
    with connect(url) as store:
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream)
        _drop_connections(postgres_url, name)
        time.sleep(IDLE_PING_SECONDS + 0.2)
        assert [e.version for e in store.load_stream(stream)] == [1]
        store.append(Deposited(amount=2), stream_id=stream, expected_version=1)


def test_a_connection_dropped_while_hot_fails_one_call_and_the_next_works(
    postgres_url: str,
) -> None:
    url, name = _named(postgres_url)
    with connect(url) as store:
        stream = uuid4()
        store.append(Deposited(amount=1), stream_id=stream)
        _drop_connections(postgres_url, name)
        with pytest.raises(OperationalError) as caught:
            store.load_stream(stream)
        assert caught.value.connection_invalidated
        assert [e.version for e in store.load_stream(stream)] == [1]
