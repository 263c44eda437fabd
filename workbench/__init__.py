"""Event Sourcery workbench: explore a store from a notebook — events as DataFrames, time
travel through a stream's states, snapshots against the events, the outbox's audit trail.

Quick start::

    from workbench import Workbench
    wb = Workbench.open("sqlite:///demo.db", app="workbench.demo")
    wb.events(types=["CustomerSubscribed"]).head()
"""

from workbench.diff import Change, ChangeKind, Diff, diff
from workbench.errors import (
    InvalidFilter,
    NoAggregateFor,
    ReadOnlyWorkbench,
    StateNotFound,
    StoreNotFound,
    WorkbenchError,
)
from workbench.outbox_audit import OutboxSummary
from workbench.reading import EventQuery
from workbench.snapshots import SnapshotComparison, SnapshotStatus
from workbench.timeline import Timeline
from workbench.trace import Trace
from workbench.workbench import Workbench

__all__ = [
    "Change",
    "ChangeKind",
    "Diff",
    "EventQuery",
    "InvalidFilter",
    "NoAggregateFor",
    "OutboxSummary",
    "ReadOnlyWorkbench",
    "SnapshotComparison",
    "SnapshotStatus",
    "StateNotFound",
    "StoreNotFound",
    "Timeline",
    "Trace",
    "Workbench",
    "WorkbenchError",
    "diff",
]
