"""configure_models(Base) puts the library's tables where create_all and alembic look."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from uuid import uuid4

from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.orm import DeclarativeBase, Session, as_declarative

from event_sourcery import configure_models, get_event_store
from event_sourcery.testing.events import Deposited

TABLES = {
    "event_sourcery_streams",
    "event_sourcery_events",
    "event_sourcery_snapshots",
    "event_sourcery_checkpoints",
    "event_sourcery_outbox",
    "event_sourcery_outbox_attempts",
}


def test_declarative_base_gets_the_tables_and_mapped_classes(tmp_path: Path) -> None:
    class Base(DeclarativeBase):
        pass

    models = configure_models(Base)
    assert set(Base.metadata.tables) == TABLES
    engine = create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    Base.metadata.create_all(engine)
    assert set(inspect(engine).get_table_names()) == TABLES
    with Session(engine) as session:
        get_event_store(session, with_outbox=True).append(Deposited(amount=1), stream_id=uuid4())
        session.commit()
        assert session.scalar(select(func.count()).select_from(models.event)) == 1
        [entry] = session.scalars(select(models.outbox_entry)).all()
        assert (entry.type, entry.status) == ("contract.Deposited", "pending")
        [stored] = session.scalars(select(models.event)).all()
        assert stored.type == "contract.Deposited"
        assert stored.created_at.utcoffset() == timedelta(0)
    engine.dispose()


def test_as_declarative_works_and_a_second_call_changes_nothing() -> None:
    @as_declarative()
    class Base:
        pass

    first = configure_models(Base)
    second = configure_models(Base)
    assert first == second
    assert set(Base.metadata.tables) == TABLES  # type: ignore[attr-defined]


def test_the_applications_own_tables_live_beside_ours(tmp_path: Path) -> None:
    from sqlalchemy import Column, Integer

    class Base(DeclarativeBase):
        pass

    class Order(Base):
        __tablename__ = "orders"
        id = Column(Integer, primary_key=True)

    configure_models(Base)
    engine = create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    Base.metadata.create_all(engine)
    assert set(inspect(engine).get_table_names()) == {*TABLES, "orders"}
    engine.dispose()
