"""A projection's run outlives the database going away, not its handler's own mistakes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from event_sourcery import Event, Projection, Recorded, connect
from event_sourcery.subscriptions.retrying import is_transient
from event_sourcery.testing.events import Deposited


def _run_until_it_ends(projection: Projection, seconds: float = 15.0) -> BaseException | None:
    """Run ``projection`` in a thread; the error it ended with, or None if it kept going
    (then it is stopped)."""
    ended: list[BaseException] = []
    stop = threading.Event()

    def run() -> None:
        try:
            projection.run(stop_event=stop, poll_interval=0.05)
        except Exception as error:  # what the test looks at
            ended.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(seconds)
    stop.set()
    thread.join(30)
    return ended[0] if ended else None


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.db'}"
    return str(request.getfixturevalue("postgres_url"))


def test_a_handler_whose_sql_is_wrong_ends_the_run_instead_of_being_retried(url: str) -> None:
    calls: list[int] = []
    name = f"broken-{uuid4().hex[:8]}"

    def handler(record: Recorded[Event], session: Any) -> None:
        calls.append(record.position)
        session.execute(text("SELECT * FROM no_such_table_at_all"))

    with connect(url) as store:
        store.append(Deposited(amount=1), stream_id=uuid4())
        projection = Projection(store, name, handler)
        error = _run_until_it_ends(projection)
    assert isinstance(error, DBAPIError)
    assert "no_such_table_at_all" in str(error)
    assert len(calls) == 1  # not tried again and again


@pytest.mark.parametrize(
    ("said", "retried"),
    [
        ("database is locked", True),
        ("no such table: readings", False),
        ('near "SELEC": syntax error', False),
    ],
)
def test_only_a_handlers_momentary_sqlite_errors_are_retried(said: str, retried: bool) -> None:
    error = OperationalError("SELECT 1", None, Exception(said))
    assert is_transient(error, raised_by_handler=True) is retried
    assert is_transient(error)  # outside the handler, the library's statements: retried
