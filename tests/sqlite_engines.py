"""SQLite engines set up the way applications set them up, without connect()'s tuning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event


def autocommit_recipe(path: Path, **engine_options: Any) -> Engine:
    """SQLAlchemy's documented pysqlite set-up for SAVEPOINTs: pysqlite begins nothing by
    itself, and SQLAlchemy emits a plain (deferred) BEGIN."""
    engine = create_engine(f"sqlite:///{path}", **engine_options)

    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine
