"""Timeline: a stream's state after each of its versions, with random access through
checkpoints, diffs between versions and the first version where a condition holds."""

from __future__ import annotations

import bisect
import html
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

import pandas as pd

from event_sourcery import Event, RawEvent, StreamId, UnreadableTime
from workbench.diff import Change, Diff, diff
from workbench.errors import CannotFoldPast, StateNotFound
from workbench.flatten import flatten
from workbench.frames import MAX_NESTING, stored_json, utc_times
from workbench.state import Folder, State

S = TypeVar("S")
CHECKPOINT_EVERY = 100
"""Versions between two kept states: a jump replays at most this many events."""


class Timeline(Generic[S]):
    """The states of one stream, version 0 (before its first event) to its last.

    ``at(v)`` starts from the nearest checkpoint at or before ``v`` and replays at most
    ``checkpoint_every - 1`` events; the checkpoints are built by one pass on first use.

    A folder that decodes is given None for an event that cannot be decoded, and why in
    ``undecodable`` (version: reason): its states stop before the first such version, and
    a state asked for at or after it raises ``CannotFoldPast``.
    """

    def __init__(
        self,
        stream: StreamId,
        raws: Sequence[RawEvent],
        folder: Folder[S],
        events: Sequence[Event | None] | None = None,
        *,
        checkpoint_every: int = CHECKPOINT_EVERY,
        undecodable: Mapping[int, str] | None = None,
    ) -> None:
        if folder.decodes and (events is None or len(events) != len(raws)):
            raise ValueError("a folder that decodes needs one decoded event per row")
        if checkpoint_every < 1:
            raise ValueError(f"checkpoint_every={checkpoint_every!r}: use a whole number >= 1")
        self.stream = stream
        self.raws = list(raws)
        self.folder = folder
        self.checkpoint_every = checkpoint_every
        self._events = list(events) if events is not None else None
        self._payloads: list[dict[str, Any] | None] = [None] * len(self.raws)
        self._times = [raw.created_at for raw in self.raws]
        self._checkpoints: list[S] | None = None
        self._failed = dict(undecodable or {}) if folder.decodes else {}
        for at, event in enumerate(self._events or ()):
            if event is None:
                self._failed.setdefault(at + 1, "it could not be decoded")
        self._foldable = min(self._failed, default=len(self.raws) + 1) - 1
        """The last version the folder reaches (the one before the first undecodable)."""

    @property
    def last_version(self) -> int:
        """The stream's last version (its number of events)."""
        return len(self.raws)

    def at(self, version: int) -> State:
        """The state after ``version`` (0: before the first event)."""
        self._check(version)
        self._reaches(version)
        return self.folder.state(self._held_at(version))

    def at_time(self, moment: datetime) -> State:
        """The state after the last event recorded at or before ``moment``."""
        return self.at(self.version_at(moment))

    def version_at(self, moment: datetime) -> int:
        """The last version recorded at or before ``moment``; StateNotFound before the first."""
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            raise StateNotFound(self.stream, f"{moment!r} is not an aware datetime")
        version = bisect.bisect_right(self._times, moment)
        if version == 0:
            first = self._times[0].isoformat() if self._times else None
            reason = f"its first event was recorded at {first}" if first else "it has no events"
            raise StateNotFound(self.stream, f"nothing at {moment.isoformat()}: {reason}")
        return version

    def states(self, every: int = 1) -> pd.DataFrame:
        """One row per version (with ``every`` > 1, every n-th version and the last, for a
        plot of a long stream): version, type, created_at, then the state flattened; up to
        the version before the first the folder cannot fold (see ``undecodable``)."""
        if not isinstance(every, int) or every < 1:
            raise StateNotFound(self.stream, f"every={every!r}: use a whole number >= 1")
        last = self._foldable  # a folder that cannot fold past a version stops before it
        kept = [v for v in range(1, last + 1) if v % every == 0 or v == last]
        rows: list[dict[str, Any]] = []
        held = self.folder.start()
        for at in range(last):
            held = self._apply(held, at)
            if (at + 1) % every == 0 or at + 1 == last:
                rows.append(flatten(self.folder.state(held)))
        frame = pd.DataFrame(rows)
        envelope = self._envelope().iloc[[v - 1 for v in kept]].reset_index(drop=True)
        return pd.concat([envelope, frame], axis=1) if len(frame.columns) else envelope

    def diff(self, old: int, new: int) -> Diff:
        """What changed in the state from version ``old`` to version ``new``."""
        return diff(self.at(old), self.at(new))

    def changes(self, start: int = 1, stop: int | None = None) -> pd.DataFrame:
        """Which event changed which fields: one row per changed path per version, for
        versions ``start`` to ``stop`` (default: the last), from the nearest checkpoint."""
        stop = len(self.raws) if stop is None else stop
        rows: list[tuple[Any, ...]] = []
        if 1 <= start <= stop:
            self._check(stop)
            self._reaches(stop)
            held = self._held_at(start - 1)
            before = self.folder.state(held)
            for at in range(start - 1, stop):
                held = self._apply(held, at)
                after = self.folder.state(held)
                raw = self.raws[at]
                for change in diff(before, after):
                    rows.append((at + 1, raw.type, raw.created_at, *change_row(change)))
                before = after
        frame = pd.DataFrame(
            rows, columns=["version", "type", "created_at", "path", "change", "old", "new"]
        )
        frame["created_at"] = utc_times(frame["created_at"])
        return frame

    def first(self, predicate: Callable[[State], object]) -> int | None:
        """The first version whose state satisfies ``predicate``; None if none does. A
        predicate that raises (a field not there yet, say) counts as not satisfied; only
        the versions the folder reaches are tried."""
        held = self.folder.start()
        for at in range(self._foldable):
            held = self._apply(held, at)
            try:
                if predicate(self.folder.state(held)):
                    return at + 1
            except (KeyError, IndexError, TypeError, AttributeError):
                continue
        return None

    def event(self, version: int) -> dict[str, Any]:
        """The event that made ``version``: its envelope and payload as stored; a row whose
        JSON cannot be parsed keeps its text, and ``undecodable`` says why (else None)."""
        self._check(version)
        if version == 0:
            raise StateNotFound(self.stream, "version 0 is the state before any event")
        raw = self.raws[version - 1]
        payload = self._payload(version - 1)
        data, data_problem = stored_json(raw.data_json, MAX_NESTING)
        context, context_problem = stored_json(raw.context_json, MAX_NESTING)
        if context_problem is None and not isinstance(context, dict):
            context_problem = f"a JSON {type(context).__name__}, not an object"
        problems = [
            f"{part}: {problem}"
            for part, problem in (("payload", data_problem), ("context", context_problem))
            if problem is not None
        ]
        if type(raw.created_at) is UnreadableTime:
            problems.append(raw.created_at.problem)
        if version in self._failed and not problems:
            problems.append(self._failed[version])
        return {
            "version": version,
            "type": raw.type,
            "created_at": raw.created_at,
            "event_uuid": str(raw.uuid),
            "position": raw.position,
            "schema_version": raw.schema_version,
            "data": payload if data_problem is None else data,
            "context": context,
            "undecodable": "; ".join(problems) or None,
        }

    def undecodable(self) -> dict[int, str]:
        """The versions whose payload cannot be parsed (rows the store did not write), and
        why: the running merge leaves them out, so its state is that of the other events.
        Through an aggregate: the versions whose event cannot be decoded, and why; the
        aggregate's states stop before the first of them."""
        if self.folder.decodes:
            return dict(sorted(self._failed.items()))
        found = {}
        for at, raw in enumerate(self.raws):
            _, problem = stored_json(raw.data_json, MAX_NESTING)
            if problem is not None:
                found[at + 1] = problem
        return found

    def explore(self) -> Any:
        """An ipywidgets explorer: slider and player over the versions, the state and the
        diff to the previous version."""
        from workbench.notebook import timeline_explorer

        return timeline_explorer(self)

    def _repr_html_(self) -> str:
        name = html.escape(self.stream.name or str(self.stream.uuid))
        if not self.raws:
            return f"<p>Timeline of <b>{name}</b>: no events.</p>"
        first, last = self._times[0].isoformat(), self._times[-1].isoformat()
        shown = self._foldable
        state = html.escape(json.dumps(self.at(shown), indent=2, default=str))
        stops = (
            ""
            if shown == self.last_version
            else f" (the event at version {shown + 1} cannot be decoded: no state after it)"
        )
        return (
            f"<p>Timeline of <b>{name}</b>: versions 1 to {self.last_version}, "
            f"{html.escape(first)} to {html.escape(last)}.</p>"
            f"<p>State at version {shown}{stops}:</p><pre>{state}</pre>"
        )

    def _envelope(self) -> pd.DataFrame:
        frame = pd.DataFrame(
            {
                "version": range(1, len(self.raws) + 1),
                "type": pd.Categorical([raw.type for raw in self.raws]),
                "created_at": utc_times(self._times),
            }
        )
        return frame

    def _held_at(self, version: int) -> S:
        """A copy of the folded state after ``version``, from the nearest checkpoint."""
        index = version // self.checkpoint_every
        held = self.folder.copy(self._built()[index])
        for at in range(index * self.checkpoint_every, version):
            held = self._apply(held, at)
        return held

    def _built(self) -> list[S]:
        """The checkpoints: the state after versions 0, K, 2K, ... (one pass, once)."""
        if self._checkpoints is None:
            every = self.checkpoint_every
            held = self.folder.start()
            checkpoints = [self.folder.copy(held)]
            for at in range(self._foldable):
                held = self._apply(held, at)
                if (at + 1) % every == 0:
                    checkpoints.append(self.folder.copy(held))
            self._checkpoints = checkpoints
        return self._checkpoints

    def _apply(self, held: S, at: int) -> S:
        event = self._events[at] if self._events is not None else None
        if event is None and self.folder.decodes:
            self._reaches(at + 1)
        payload = {} if self.folder.decodes else self._payload(at)
        return self.folder.apply(held, payload, event)

    def _payload(self, at: int) -> dict[str, Any]:
        """The payload the running merge folds in: an unparsable one (see ``undecodable``)
        folds in as nothing, so that the timeline carries on past it."""
        payload = self._payloads[at]
        if payload is None:
            loaded, problem = stored_json(self.raws[at].data_json, MAX_NESTING)
            if problem is not None:
                loaded = {}
            payload = self._payloads[at] = loaded if isinstance(loaded, dict) else {"value": loaded}
        return payload

    def _reaches(self, version: int) -> None:
        """CannotFoldPast when the folder cannot reach ``version``."""
        if version > self._foldable:
            bad = self._foldable + 1
            name = getattr(self.folder, "name", type(self.folder).__name__)
            raise CannotFoldPast(
                self.stream,
                version,
                version=bad,
                row=self.raws[bad - 1],
                aggregate=name,
                reason=self._failed[bad],
            )

    def _check(self, version: object) -> None:
        if not isinstance(version, int) or isinstance(version, bool):
            raise StateNotFound(self.stream, f"version {version!r} is not a whole number")
        if not 0 <= version <= len(self.raws):
            raise StateNotFound(
                self.stream, f"version {version}: it has versions 0 to {len(self.raws)}"
            )


def change_row(change: Change) -> tuple[Any, ...]:
    """A Change as the (path, change, old, new) columns of a frame."""
    return (change.path, change.kind.value, change.old, change.new)
