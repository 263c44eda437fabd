"""Event sourcing on top of the store: aggregates, the repository and snapshot policies."""

from event_sourcery.event_sourcing.aggregate import Aggregate, AggregateStream, applies
from event_sourcery.event_sourcing.repository import Repository
from event_sourcery.event_sourcing.snapshot_policy import EveryNEvents, SnapshotPolicy

__all__ = [
    "Aggregate",
    "AggregateStream",
    "EveryNEvents",
    "Repository",
    "SnapshotPolicy",
    "applies",
]
