"""PostgreSQL: a connection that LISTENs for appends, so that subscribers wake at commit."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from event_sourcery.storage.reading import PollingWaiter, Waiter
from event_sourcery.storage.sql.dialects import NOTIFY_CHANNEL


class Listener:
    """Holds one connection of its own in LISTEN; every committed append notifies it.
    If the connection is lost it waits by the clock, then listens again."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pooled: Any = None
        # Listen from the start, so that no commit after the subscriber's first read goes
        # unnoticed; with the database down, the first wait() listens once it is back.
        with contextlib.suppress(self._engine.dialect.loaded_dbapi.Error, DBAPIError):
            self._listen()

    def _listen(self) -> None:
        pooled = self._engine.raw_connection()
        pooled.detach()  # it stays LISTENing: never hand it back to the pool
        try:
            driver: Any = pooled.dbapi_connection
            driver.autocommit = True
            driver.execute(f"LISTEN {NOTIFY_CHANNEL}")
        except BaseException:
            with contextlib.suppress(Exception):
                pooled.close()  # detached: nobody else would close it
            raise
        self._pooled = pooled

    def wait(self, seconds: float) -> bool:
        seconds = max(seconds, 0.0)
        try:
            if self._pooled is None:
                self._listen()
            driver = self._pooled.dbapi_connection
            woken = any(True for _ in driver.notifies(timeout=seconds, stop_after=1))
            if woken:  # one read serves every append notified so far
                for _ in driver.notifies(timeout=0):
                    pass
            return woken
        except (self._engine.dialect.loaded_dbapi.Error, DBAPIError):
            self.close()
            time.sleep(min(seconds, 1.0))
            return True  # something may have been missed while the connection was down

    def close(self) -> None:
        if self._pooled is not None:
            pooled, self._pooled = self._pooled, None
            with contextlib.suppress(self._engine.dialect.loaded_dbapi.Error):
                pooled.close()


def waiter_for(engine: Engine, poll_interval: float) -> Waiter:
    """A ``Listener`` on PostgreSQL with psycopg 3, polling otherwise."""
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        return Listener(engine)
    return PollingWaiter(poll_interval)
