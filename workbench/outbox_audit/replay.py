"""Replaying outbox entries from the workbench: a dry run by default, a real one only from
a workbench opened for writing."""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral

import pandas as pd

from event_sourcery import (
    Attempt,
    Event,
    EventStore,
    OutboxEntry,
    Publisher,
    Recorded,
    Selection,
)
from workbench.errors import InvalidFilter, ReadOnlyWorkbench
from workbench.outbox_audit.frames import attempts_to_frame, entries_frame

Chosen = Selection | pd.DataFrame | Iterable[OutboxEntry | int]
"""Entries to replay: a ``Selection``, an ``outbox_frame`` (its positions), or entries or
their positions."""
ACTIONS = pd.CategoricalDtype(["send", "skip"])


def replay(
    store: EventStore,
    selection: Chosen,
    publisher: Publisher | None = None,
    *,
    dry_run: bool = True,
    read_only: bool = True,
) -> pd.DataFrame:
    """Replay ``selection``'s delivered and dead entries. A dry run (the default) returns
    what would go (``action``: send, or skip for pending ones); a real one needs
    ``read_only=False`` and a publisher, and returns the replay attempts it recorded."""
    chosen = _chosen(selection)
    if not dry_run:
        if read_only:
            raise ReadOnlyWorkbench("replay(dry_run=False)")
        if publisher is None:
            raise InvalidFilter("a real replay needs a publisher: pass publisher=...")
    report = store.outbox.replay(chosen, publisher or _sends_nothing, dry_run=dry_run)
    if dry_run:
        planned = sorted([*report.entries, *report.skipped], key=lambda e: e.position)
        frame = entries_frame(planned)
        skipped = {entry.position for entry in report.skipped}
        action = ["skip" if p in skipped else "send" for p in frame["position"]]
        frame.insert(1, "action", pd.Series(action, dtype=ACTIONS))
        return frame
    recorded: list[Attempt] = []
    for entry in report.entries:
        recorded += [
            attempt
            for attempt in store.outbox.attempts(entry.position)
            if attempt.replay and attempt.number > entry.attempts
        ]
    return attempts_to_frame(recorded)


def _chosen(selection: Chosen) -> Selection | list[int]:
    """``selection`` as the library's outbox takes it; InvalidFilter if it is none of the
    accepted forms."""
    if isinstance(selection, Selection):
        return selection
    if isinstance(selection, pd.DataFrame):
        if "position" not in selection.columns:
            raise InvalidFilter("a frame to replay needs a 'position' column: use outbox_frame")
        return [int(position) for position in selection["position"]]
    if isinstance(selection, str | bytes) or not isinstance(selection, Iterable):
        raise InvalidFilter(
            f"selection={selection!r} is not a Selection, an outbox frame, or entries or "
            "positions: build one with store.outbox.selection(...)"
        )
    return [_position(item) for item in selection]


def _position(item: object) -> int:
    if isinstance(item, OutboxEntry):
        return item.position
    if isinstance(item, Integral) and not isinstance(item, bool) and int(item) >= 1:
        return int(item)
    raise InvalidFilter(f"{item!r} is not an outbox entry or its position (a whole number >= 1)")


def _sends_nothing(record: Recorded[Event]) -> None:
    """The publisher a dry run is given: never called, since a dry run sends nothing."""
    raise AssertionError(f"a dry run tried to send event {record.uuid}")
