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


def is_transient(error: BaseException) -> bool:
    """True for a database that did not answer or refused for the moment: worth a retry."""
    if isinstance(error, StoreUnavailable | StoreBusy | OperationalError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


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
