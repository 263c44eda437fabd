"""Projection checkpoints on SQL: a Session whose writes commit with the checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from event_sourcery.storage.checkpoints import CheckpointUnit
from event_sourcery.storage.sql import dialects
from event_sourcery.storage.sql.tables import checkpoints

_c = checkpoints.c


@contextmanager
def checkpointed(engine: Engine, name: str) -> Iterator[CheckpointUnit]:
    """Lock projection ``name``'s checkpoint row, yield it with a Session in the same
    transaction, then store the new position and commit (or roll everything back)."""
    # connect()'s PostgreSQL engine reads in autocommit: this unit needs a transaction.
    bind = (
        engine.execution_options(isolation_level="READ COMMITTED")
        if engine.dialect.name == "postgresql"
        else engine
    )
    with Session(bind) as session, session.begin():
        session.execute(
            dialects.insert(engine.dialect.name, checkpoints)
            .values(name=name, position=0, updated_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=[_c.name])
        )
        position = session.execute(
            select(_c.position).where(_c.name == name).with_for_update()
        ).scalar_one()
        unit = CheckpointUnit(name, position, session)
        yield unit
        session.execute(
            update(checkpoints)
            .where(_c.name == name)
            .values(position=unit.position, updated_at=datetime.now(UTC))
        )


def checkpoint(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        found = conn.execute(select(_c.position).where(_c.name == name)).scalar()
    return int(found or 0)
