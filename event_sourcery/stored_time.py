"""Stored times as rows hold them: SQLite keeps them as text, which other tools can set to
anything ('yesterday', '', a number). Such a time is read as an ``UnreadableTime``, which
keeps what the row holds: the raw reads give the row as stored, the decoded reads refuse
it naming the row (``UndecodableEvent``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from event_sourcery.quoting import quoted


class UnreadableTime(datetime):
    """A stored time that is not one: the earliest moment (``datetime.min`` in UTC, so that
    it sorts and compares), marked as such, with ``stored`` the value the row holds."""

    stored: Any

    def __new__(cls, stored: Any) -> UnreadableTime:
        moment = super().__new__(cls, 1, 1, 1, tzinfo=UTC)
        moment.stored = stored
        return moment

    @property
    def problem(self) -> str:
        """What is wrong with it, as errors and the workbench say it."""
        return (
            f"created_at: the stored time {quoted(self.stored)} is not a time (ISO 8601 text "
            "with an offset, as the store writes); fix the row with SQL"
        )

    def __reduce__(self) -> tuple[type[UnreadableTime], tuple[Any]]:
        return (type(self), (self.stored,))

    def __repr__(self) -> str:
        return f"UnreadableTime({self.stored!r})"

    __str__ = __repr__

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return repr(self)


def time_from_text(value: Any) -> datetime:
    """A time SQLite stored as text; text without an offset is read as UTC (SQLite's own
    ``CURRENT_TIMESTAMP``), anything else that is not a time as an ``UnreadableTime``."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return UnreadableTime(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
