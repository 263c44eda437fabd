"""Which failures a subscriber's loop outlives: the database going away or refusing for a
moment (a restart, a dropped connection, a lock not had, a serialization failure). It logs
them, backs off and reads again; any other error is a bug to see, and stops the loop."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, OperationalError

from event_sourcery.errors import StoreBusy, StoreUnavailable

log = logging.getLogger("event_sourcery.subscriptions")


def is_transient(error: BaseException) -> bool:
    """True for a database that did not answer or refused for the moment: worth a retry."""
    if isinstance(error, StoreUnavailable | StoreBusy | OperationalError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated
