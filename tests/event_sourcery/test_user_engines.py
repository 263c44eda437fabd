"""connect(engine) and sessions on engines the application configured its own way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Column, Engine, Integer, create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import StaticPool

from event_sourcery import (
    DuplicateEventId,
    Envelope,
    EventStore,
    UnsupportedURL,
    connect,
    get_event_store,
)
from event_sourcery.testing.events import Deposited
from tests.sqlite_engines import autocommit_recipe


@pytest.fixture(params=["sqlite-plain", "sqlite-autocommit-recipe", "postgresql-autocommit"])
def user_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite-plain":
        engine = create_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    elif request.param == "sqlite-autocommit-recipe":
        engine = autocommit_recipe(tmp_path / "recipe.db")
    else:
        url = request.getfixturevalue("postgres_url")
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def _refused_batch_leaves_the_stream_whole(store: EventStore) -> None:
    stream, taken = uuid4(), uuid4()
    store.append(Envelope(event=Deposited(amount=0), uuid=taken), stream_id=uuid4())
    store.append(Deposited(amount=1), stream_id=stream)
    batch = [
        Deposited(amount=2),
        Deposited(amount=3),
        Envelope(event=Deposited(amount=4), uuid=taken),
    ]
    with pytest.raises(DuplicateEventId):
        store.append(*batch, stream_id=stream, expected_version=1)
    assert [e.version for e in store.load_stream(stream)] == [1]
    store.append(Deposited(amount=2), stream_id=stream, expected_version=1)
    assert [e.version for e in store.load_stream(stream)] == [1, 2]


def test_appends_stay_atomic_on_the_applications_engine(user_engine: Engine) -> None:
    _refused_batch_leaves_the_stream_whole(connect(user_engine))


def test_a_per_thread_in_memory_sqlite_engine_is_refused() -> None:
    engine = create_engine("sqlite://")
    with pytest.raises(UnsupportedURL, match="StaticPool"):
        connect(engine)
    shared = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    _refused_batch_leaves_the_stream_whole(connect(shared))


@pytest.mark.postgres
def test_after_the_server_drops_connections_one_call_fails_and_the_next_works(
    postgres_url: str,
) -> None:
    name = f"es-drop-{uuid4().hex[:8]}"
    engine = create_engine(postgres_url, connect_args={"application_name": name})
    store, stream = connect(engine), uuid4()
    store.append(Deposited(amount=1), stream_id=stream)
    admin = create_engine(postgres_url)
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :n"
            ),
            {"n": name},
        )
    admin.dispose()
    with pytest.raises(OperationalError) as caught:
        store.load_stream(stream)
    assert caught.value.connection_invalidated
    assert [e.version for e in store.load_stream(stream)] == [1]
    store.append(Deposited(amount=2), stream_id=stream, expected_version=1)
    engine.dispose()


@pytest.mark.postgres
def test_a_serialization_failure_arrives_as_sqlalchemys_error(postgres_url: str) -> None:
    engine = create_engine(postgres_url, isolation_level="REPEATABLE READ")
    stream: UUID = uuid4()
    connect(engine).append(Deposited(amount=1), stream_id=stream)
    with Session(engine) as stale, Session(engine) as fresh:
        stale_store = get_event_store(stale)
        assert [e.version for e in stale_store.load_stream(stream)] == [1]
        get_event_store(fresh).append(Deposited(amount=2), stream_id=stream, expected_version=1)
        fresh.commit()
        with pytest.raises(DBAPIError, match="serialize"):
            stale_store.append(Deposited(amount=3), stream_id=stream, expected_version=1)
        stale.rollback()
    engine.dispose()


@pytest.mark.postgres
def test_an_append_in_a_session_does_not_flush_the_sessions_pending_objects(
    postgres_url: str,
) -> None:
    class Base(DeclarativeBase):
        pass

    class Note(Base):
        __tablename__ = f"notes_{uuid4().hex[:8]}"
        id = Column(Integer, primary_key=True)

    engine = create_engine(postgres_url)
    Base.metadata.create_all(engine)
    connect(engine)
    with Session(engine) as session:
        note = Note()
        session.add(note)
        stream = uuid4()
        get_event_store(session).append(Deposited(amount=1), stream_id=stream)
        assert note in session.new  # the append left the unit of work to the caller
        session.commit()
    assert [e.version for e in connect(engine).load_stream(stream)] == [1]
    Base.metadata.drop_all(engine)
    engine.dispose()
