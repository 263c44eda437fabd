"""Which failures a reader's loop outlives, and how it reports them: the database going
away or refusing for a moment (a restart, a dropped connection, a lock not had, a
serialization failure) is logged, backed off from and tried again; any other error is a
bug to see, and stops the loop."""

from __future__ import annotations

import logging
import time

from sqlalchemy.exc import DBAPIError, OperationalError

from event_sourcery.errors import StoreBusy, StoreUnavailable

log = logging.getLogger("event_sourcery.subscriptions")


_MOMENTARY_CLASSES = ("08", "40", "53", "57")
"""SQLSTATE classes of a refusal of the moment: connection exceptions, serialization
failures and deadlocks, insufficient resources, operator intervention (a shutdown)."""


def is_transient(error: BaseException, *, raised_by_handler: bool = False) -> bool:
    """True for a database that did not answer or refused for the moment: worth a retry.

    What a handler raised is retried only when it is plainly of the moment (a lost
    connection, a lock, a deadlock, a serialization failure): on SQLite a mistake in the
    handler's own SQL ("no such table") is an ``OperationalError`` too, and retrying a
    mistake would loop for ever."""
    if isinstance(error, StoreUnavailable | StoreBusy):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError):
        return False
    return not raised_by_handler or _momentary(error)


def _momentary(error: OperationalError) -> bool:
    state = getattr(error.orig, "sqlstate", None)
    if isinstance(state, str):  # PostgreSQL
        return state.startswith(_MOMENTARY_CLASSES) or state == "55P03"  # lock not available
    return "locked" in str(error.orig)  # SQLite: "database is locked", "table is locked"


class Outage:
    """Logs one run of database failures without a line per retry: the first failure as
    a warning, then one warning every ``every`` seconds while it lasts (with the count),
    and the recovery once the database answers again."""

    def __init__(self, logger: logging.Logger, what: str, every: float = 10.0) -> None:
        self._log = logger
        self._what = what
        self._every = every
        self._failures = 0
        self._since = self._logged = 0.0

    def failed(self, error: BaseException) -> None:
        now = time.monotonic()
        self._failures += 1
        if self._failures == 1:
            self._since = self._logged = now
            self._log.warning("%s: database failed, retrying: %s", self._what, error)
        elif now - self._logged >= self._every:
            self._logged = now
            self._log.warning(
                "%s: database still failing after %d attempts in %.0f s: %s",
                self._what,
                self._failures,
                now - self._since,
                error,
            )

    def recovered(self) -> None:
        if self._failures:
            self._log.info(
                "%s: database answers again, after %d failed attempts in %.1f s",
                self._what,
                self._failures,
                time.monotonic() - self._since,
            )
            self._failures = 0
