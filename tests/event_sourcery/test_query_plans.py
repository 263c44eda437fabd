"""PostgreSQL: statements that run on every append probe indexes, so their cost does not
grow with the store (a plan with a scan of the events table would)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.dialects import postgresql

from event_sourcery import connect
from event_sourcery.storage.sql.outbox_statements import outbox_statements_for
from event_sourcery.testing.events import Deposited

pytestmark = pytest.mark.postgres


def test_an_appends_outbox_entries_find_its_events_by_index_not_by_scanning_them(
    postgres_url: str, postgres_engine: Engine
) -> None:
    store = connect(postgres_url, with_outbox=True)
    for amount in range(300):
        store.append(*[Deposited(amount=amount)] * 10, stream_id=uuid4())
    store.close()
    insert = outbox_statements_for(postgresql.psycopg.dialect()).insert_entries
    params = {
        "p_uuid": str(uuid4()),
        "p_category": "",
        "p_uuids": json.dumps([str(uuid4()), str(uuid4())]),
        "p_now": datetime.now(UTC),
    }
    with postgres_engine.connect() as conn:
        conn.execute(text("ANALYZE event_sourcery_events"))
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("EXPLAIN " + insert.sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        conn.rollback()
    assert "Seq Scan on event_sourcery_events" not in plan, plan
    assert "event_sourcery_events" in plan
