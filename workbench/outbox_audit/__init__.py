"""The outbox audit room: entries, attempts, status and latency as DataFrames, and
replays (a dry run first) — pure functions over an ``EventStore``."""

from workbench.outbox_audit.frames import (
    ATTEMPT_COLUMNS,
    ENTRY_COLUMNS,
    EntryRef,
    attempts_frame,
    outbox_frame,
)
from workbench.outbox_audit.replay import Chosen, replay
from workbench.outbox_audit.summary import FAILURE_COLUMNS, OutboxSummary, outbox_summary

__all__ = [
    "ATTEMPT_COLUMNS",
    "ENTRY_COLUMNS",
    "FAILURE_COLUMNS",
    "Chosen",
    "EntryRef",
    "OutboxSummary",
    "attempts_frame",
    "outbox_frame",
    "outbox_summary",
    "replay",
]
