"""A projection the contract suite and the crash tests run: applied positions in a table
(SQL, in the projection's transaction) or a list (memory)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, delete, insert, select
from sqlalchemy.orm import Session

from event_sourcery.event import Event
from event_sourcery.records import Recorded

metadata = MetaData()
applied_table = Table(
    "contract_projection_applied",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("projection", BigInteger, nullable=False),
    Column("position", BigInteger, nullable=False),
)


class AppliedPositions:
    """Records every position it is given, where the projection's transaction can see."""

    def __init__(self, tag: int) -> None:
        self.tag = tag  # tells this projection's rows from others' in the shared table
        self.in_memory: list[int] = []

    def __call__(self, recorded: Recorded[Event], session: Session | None) -> None:
        if session is None:
            self.in_memory.append(recorded.position)
            return
        metadata.create_all(session.connection())
        session.execute(
            insert(applied_table).values(projection=self.tag, position=recorded.position)
        )

    def clear(self, session: Session | None) -> None:
        if session is None:
            self.in_memory.clear()
            return
        metadata.create_all(session.connection())
        session.execute(delete(applied_table).where(applied_table.c.projection == self.tag))

    def positions(self, session: Any) -> list[int]:
        """What was applied and committed, in the order applied."""
        if session is None:
            return list(self.in_memory)
        metadata.create_all(session.connection())
        rows = session.execute(
            select(applied_table.c.position)
            .where(applied_table.c.projection == self.tag)
            .order_by(applied_table.c.id)
        )
        return [int(position) for position in rows.scalars()]


class SlowAppliedPositions(AppliedPositions):
    """Takes a millisecond per event, so that a kill lands in the middle of a batch."""

    def __call__(self, recorded: Recorded[Event], session: Session | None) -> None:
        time.sleep(0.001)
        super().__call__(recorded, session)


def project_until_killed(url: str, name: str, tag: int) -> None:
    """A worker process: run the projection forever (a test kills it with SIGKILL)."""
    from event_sourcery.connect import connect
    from event_sourcery.subscriptions.projections import Projection

    store = connect(url, create_tables=False)
    Projection(store, name, SlowAppliedPositions(tag), batch_size=50).run(poll_interval=0.05)
