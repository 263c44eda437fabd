"""Sessions on SQLite engines the application built itself, without connect()'s tuning."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import DeclarativeBase, Session

from event_sourcery import ConcurrentStreamWriteError, StoreBusy, configure_models, get_event_store
from event_sourcery.testing.events import Deposited
from tests.sqlite_engines import autocommit_recipe


class Base(DeclarativeBase):
    pass


configure_models(Base)


def _engine(path: Path, explicit_begin: bool) -> Engine:
    options: dict[str, Any] = {"connect_args": {"timeout": 0.2}}
    if explicit_begin:
        engine = autocommit_recipe(path, **options)
    else:
        engine = create_engine(f"sqlite:///{path}", **options)
    Base.metadata.create_all(engine)
    return engine


def _stream_of_one_event(engine: Engine) -> UUID:
    stream = uuid4()
    with Session(engine) as setup:
        get_event_store(setup).append(Deposited(amount=1), stream_id=stream)
        setup.commit()
    return stream


def test_a_stale_writer_on_a_plain_engine_gets_a_concurrency_error(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "plain.db", explicit_begin=False)
    stream = _stream_of_one_event(engine)
    with Session(engine) as first, Session(engine) as second:
        a, b = get_event_store(first), get_event_store(second)
        version_a = a.load_stream(stream)[-1].version
        version_b = b.load_stream(stream)[-1].version
        a.append(Deposited(amount=2), stream_id=stream, expected_version=version_a)
        first.commit()
        with pytest.raises(ConcurrentStreamWriteError):
            b.append(Deposited(amount=3), stream_id=stream, expected_version=version_b)
    engine.dispose()


def test_a_writer_that_cannot_take_the_lock_gets_a_typed_error(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "explicit.db", explicit_begin=True)
    stream = _stream_of_one_event(engine)
    with Session(engine) as first, Session(engine) as second:
        a, b = get_event_store(first), get_event_store(second)
        b.load_stream(stream)  # second holds a read snapshot
        a.append(Deposited(amount=2), stream_id=stream, expected_version=1)  # first holds the lock
        with pytest.raises(StoreBusy, match="retry"):
            b.append(Deposited(amount=3), stream_id=stream, expected_version=1)
        second.rollback()
        first.commit()
    with Session(engine) as check:
        assert [e.version for e in get_event_store(check).load_stream(stream)] == [1, 2]
    engine.dispose()
