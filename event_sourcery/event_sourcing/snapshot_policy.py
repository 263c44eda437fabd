"""When the repository snapshots an aggregate after saving it."""

from __future__ import annotations

from typing import Protocol

from event_sourcery.errors import InvalidRange
from event_sourcery.versioning import is_whole


class SnapshotPolicy(Protocol):
    """Decides after each save whether to snapshot the aggregate at its new version."""

    def should_snapshot(self, loaded_version: int, new_version: int) -> bool: ...


class EveryNEvents:
    """Snapshot when a save crosses a multiple of ``n`` (from version 99 to 101 with
    ``n=100`` snapshots at 101, the state the aggregate then holds)."""

    def __init__(self, n: int) -> None:
        if not is_whole(n, 1):
            raise InvalidRange("snapshot_every", n, "not a number of events: use an int >= 1")
        self.n = n

    def should_snapshot(self, loaded_version: int, new_version: int) -> bool:
        return new_version // self.n > loaded_version // self.n

    def __repr__(self) -> str:
        return f"EveryNEvents({self.n})"
