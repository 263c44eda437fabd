"""A model of the store, a dict of streams, run against every backend by Hypothesis.

Rules append (at the right version, a wrong one, ANY, with a stored uuid, a retry of the
last append), load ranges, read the whole store (from a position, in pages, newest first),
delete streams, save snapshots (and refused ones) and reopen the store. After every step
each stream equals the model with versions 1..n, ``streams()`` lists the model's streams in
creation order, and the whole store holds every stored event once, in append order, at
strictly increasing positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import ClassVar, NamedTuple
from uuid import UUID

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from event_sourcery import (
    ANY,
    ConcurrentStreamWriteError,
    DuplicateEventId,
    Envelope,
    Event,
    InvalidSnapshot,
    Recorded,
    RecordedSnapshot,
    StreamId,
    Versioning,
    event_name,
)
from event_sourcery.testing.events import AccountSnapshot, Deposited, Opened, TurnedOff, TurnedOn
from tests.property import DEPTH, budget
from tests.property.conftest import Stores

A, B = UUID("0e5b7a3c-54a6-4d1e-9a43-6f1d2c3b4a51"), UUID("9c1f0d2e-3b4a-4c5d-8e6f-7a8b9c0d1e2f")
STREAMS = (
    StreamId(A),
    StreamId(A, category="orders"),  # the same uuid in a category: another stream
    StreamId(B),
    StreamId(name="order-7", category="orders"),
    StreamId(name="order-7"),  # the same name without a category: another stream
)

texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8)
events: st.SearchStrategy[Event] = st.one_of(
    st.builds(Opened, owner=texts),
    st.builds(Deposited, amount=st.integers(-(2**70), 2**70)),
    st.just(TurnedOn()),
)
batches = st.lists(events, min_size=1, max_size=5)
bounds = st.none() | st.integers(-2, 12)
REOPENS = 2
"""Reopens per run at most: each connects anew, which costs as much as ten other steps."""


class Stored(NamedTuple):
    """An event as the model holds it."""

    uuid: UUID
    type: str
    payload: dict[str, object]


CLASSES: dict[str, type[Event]] = {
    event_name(cls): cls for cls in (Opened, Deposited, TurnedOn, TurnedOff)
}


def rebuilt(event: Stored) -> Event:
    """The event object the model's entry was made from."""
    return CLASSES[event.type].model_validate(event.payload)


def stored(event: Event, uuid: UUID) -> Stored:
    return Stored(uuid, event_name(type(event)), event.model_dump(mode="json"))


def as_stored(records: Sequence[Recorded[Event]]) -> list[Stored]:
    return [stored(r.event, r.uuid) for r in records]


def in_range(version: int, start: int | None, stop: int | None) -> bool:
    return (start is None or version >= start) and (stop is None or version < stop)


class StoreMachine(RuleBasedStateMachine):
    stores: ClassVar[Stores]
    """The backend: set by a subclass (``test_the_store_behaves_as_a_dict_of_streams``)."""

    def __init__(self) -> None:
        super().__init__()
        self.store = self.stores.fresh()
        self.model: dict[StreamId, list[Stored]] = {}  # in creation order
        self.snapshots: dict[StreamId, list[tuple[int, AccountSnapshot]]] = {}  # saving order
        self.log: list[UUID] = []  # every stored event's uuid, in append order
        self.used: set[UUID] = set()  # every uuid ever appended
        self.highest = 0  # the highest position ever seen, deleted events' included
        self.last: tuple[StreamId, int | Versioning, list[Envelope[Event]]] | None = None
        self.reopened = 0

    def teardown(self) -> None:
        self.store.close()

    # Appends that succeed

    def _append(
        self, stream: StreamId, batch: list[Event], expected: int | Versioning, data: st.DataObject
    ) -> None:
        """Append ``batch`` as bare events or as envelopes of fresh uuids, then check the
        new events are at the stream's end, at positions never given out before."""
        before = len(self.model.get(stream, []))
        envelopes: list[Envelope[Event]] = []
        if data.draw(st.booleans(), label="bare events"):
            self.store.append(*batch, stream_id=stream, expected_version=expected)
        else:
            fresh = st.uuids(version=4).filter(lambda u: u not in self.used)
            envelopes = [Envelope(event=e, uuid=data.draw(fresh, label="uuid")) for e in batch]
            self.used.update(e.uuid for e in envelopes)
            self.store.append(*envelopes, stream_id=stream, expected_version=expected)
        new = self.store.load_stream(stream, start=before + 1, snapshots=False)
        assert [r.event for r in new] == batch
        assert [r.version for r in new] == list(range(before + 1, before + len(batch) + 1))
        if envelopes:
            assert [r.uuid for r in new] == [e.uuid for e in envelopes]
        positions = [r.position for r in new]
        assert positions == sorted(positions)
        assert positions[0] > self.highest, "a position was given out twice"
        self.highest = positions[-1]
        self.used.update(r.uuid for r in new)
        self.model.setdefault(stream, []).extend(as_stored(new))
        self.log.extend(r.uuid for r in new)
        if envelopes:  # an append a writer can send again as it was
            self.last = (stream, expected, envelopes)

    @rule(stream=st.sampled_from(STREAMS), batch=batches, data=st.data())
    def append_at_the_expected_version(
        self, stream: StreamId, batch: list[Event], data: st.DataObject
    ) -> None:
        self._append(stream, batch, len(self.model.get(stream, [])), data)

    @rule(stream=st.sampled_from(STREAMS), batch=batches, data=st.data())
    def append_with_any(self, stream: StreamId, batch: list[Event], data: st.DataObject) -> None:
        self._append(stream, batch, ANY, data)

    @precondition(lambda self: self.last is not None)
    @rule()
    def retry_the_last_append_with_the_same_envelopes(self) -> None:
        """A writer that lost the answer to its last append of envelopes sends it again,
        even after the stream moved on or the store was reopened: it succeeds and stores
        nothing twice (the invariants check that the store still equals the model)."""
        assert self.last is not None
        stream, expected, envelopes = self.last
        self.store.append(*envelopes, stream_id=stream, expected_version=expected)

    # Appends that fail and change nothing

    @rule(stream=st.sampled_from(STREAMS), batch=batches, data=st.data())
    def append_at_a_wrong_version_changes_nothing(
        self, stream: StreamId, batch: list[Event], data: st.DataObject
    ) -> None:
        current = len(self.model.get(stream, []))
        wrong = data.draw(st.integers(0, current + 3).filter(lambda v: v != current))
        with pytest.raises(ConcurrentStreamWriteError) as refused:
            self.store.append(*batch, stream_id=stream, expected_version=wrong)
        assert (refused.value.expected, refused.value.actual) == (wrong, current)
        assert as_stored(self.store.load_stream(stream, snapshots=False)) == self.model.get(
            stream, []
        )

    @precondition(lambda self: self.log)
    @rule(stream=st.sampled_from(STREAMS), batch=batches, data=st.data())
    def append_a_stored_uuid_with_another_payload_changes_nothing(
        self, stream: StreamId, batch: list[Event], data: st.DataObject
    ) -> None:
        taken = data.draw(st.sampled_from(self.log), label="stored uuid")
        [original] = [e for events in self.model.values() for e in events if e.uuid == taken]
        other: Event = TurnedOff() if original.type != event_name(TurnedOff) else TurnedOn()
        where = data.draw(st.integers(0, len(batch)), label="where")
        envelopes = [Envelope(event=e) for e in batch]
        envelopes.insert(where, Envelope(event=other, uuid=taken))
        self._refused_as_duplicate(stream, envelopes)

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def append_stored_events_elsewhere_changes_nothing(self, data: st.DataObject) -> None:
        """Stored events sent again as they are, but to another stream (the same uuid in
        another category too) or to the end of their own: not a retry, refused."""
        source = data.draw(st.sampled_from(list(self.model)), label="source")
        stream = data.draw(st.sampled_from(STREAMS), label="to")
        events = self.model[source]
        # Often from the stream's next version: where a retry would put them.
        current = len(self.model.get(stream, []))
        firsts = st.integers(0, len(events) - 1)
        if current < len(events):
            firsts = st.just(current) | firsts
        first = data.draw(firsts, label="first")
        last = data.draw(st.integers(first + 1, min(first + 5, len(events))), label="last")
        envelopes = [Envelope(event=rebuilt(e), uuid=e.uuid) for e in events[first:last]]
        self._refused_as_duplicate(stream, envelopes)

    def _refused_as_duplicate(self, stream: StreamId, envelopes: list[Envelope[Event]]) -> None:
        current = len(self.model.get(stream, []))
        with pytest.raises(DuplicateEventId):
            self.store.append(*envelopes, stream_id=stream, expected_version=current)
        assert as_stored(self.store.load_stream(stream, snapshots=False)) == self.model.get(
            stream, []
        )

    # Reads

    @rule(stream=st.sampled_from(STREAMS), start=bounds, stop=bounds)
    def load_a_range(self, stream: StreamId, start: int | None, stop: int | None) -> None:
        loaded = self.store.load_stream(stream, start, stop, snapshots=False)
        expected = [
            (version, event)
            for version, event in enumerate(self.model.get(stream, []), start=1)
            if in_range(version, start, stop)
        ]
        assert [(r.version, stored(r.event, r.uuid)) for r in loaded] == expected

    @rule(stream=st.sampled_from(STREAMS), start=bounds, stop=bounds)
    def load_a_range_from_its_latest_snapshot(
        self, stream: StreamId, start: int | None, stop: int | None
    ) -> None:
        loaded = self.store.load_stream(stream, start, stop)
        covering = [s for s in self.snapshots.get(stream, []) if in_range(s[0], start, stop)]
        first = start
        if covering:
            # The highest version; of two at one version, the later saved.
            version, state = max(reversed(covering), key=lambda s: s[0])
            head, *loaded = loaded
            assert isinstance(head, RecordedSnapshot)
            assert (head.version, head.event) == (version, state)
            [at] = self.store.load_stream(stream, version, version + 1, snapshots=False)
            assert head.position == at.position
            first = version + 1
        assert not any(isinstance(r, RecordedSnapshot) for r in loaded)
        expected = [
            (version, event)
            for version, event in enumerate(self.model.get(stream, []), start=1)
            if in_range(version, first, stop)
        ]
        assert [(r.version, stored(r.event, r.uuid)) for r in loaded] == expected

    @rule(data=st.data(), limit=st.integers(1, 7))
    def read_the_whole_store_from_a_position_in_pages_and_backwards(
        self, data: st.DataObject, limit: int
    ) -> None:
        whole = self.store.read_all()
        # A position near a stored event's (drawn by index: positions differ between runs).
        index = data.draw(st.integers(0, len(whole)), label="after the event at")
        near = data.draw(st.integers(-1, 1), label="plus")
        after = max(0, near + (whole[index - 1].position if index else 0))
        assert self.store.read_all(after) == [r for r in whole if r.position > after]
        assert self.store.read_all(after, limit) == [r for r in whole if r.position > after][:limit]
        paged: list[Recorded[Event]] = []
        page = self.store.read_page(0, limit)
        for _ in range(len(whole) + 1):
            assert len(page.events) <= limit
            paged += page.events
            if not page.events:
                break
            page = self.store.read_page(page.position, limit)
        else:
            pytest.fail(f"pages of {limit} never ended")
        assert paged == whole
        assert self.store.read_all_backwards() == whole[::-1]
        assert (
            self.store.read_all_backwards(after, limit)
            == [r for r in reversed(whole) if r.position < after][:limit]
        )

    # Deletes and snapshots

    @rule(stream=st.sampled_from(STREAMS))
    def delete_a_stream(self, stream: StreamId) -> None:
        self.store.delete_stream(stream)
        gone = {e.uuid for e in self.model.pop(stream, [])}
        self.snapshots.pop(stream, None)
        self.log = [uuid for uuid in self.log if uuid not in gone]
        if self.last is not None and self.last[0] == stream:
            self.last = None
        assert self.store.load_stream(stream) == []
        assert self.store.snapshots(stream) == []

    @precondition(lambda self: self.model)
    @rule(data=st.data(), balance=st.integers(-(2**63), 2**63 - 1))
    def save_a_snapshot(self, data: st.DataObject, balance: int) -> None:
        stream = data.draw(st.sampled_from(list(self.model)))
        version = data.draw(st.integers(1, len(self.model[stream])), label="version")
        state = AccountSnapshot(balance=balance, deposits=version)
        self.store.save_snapshot(stream, state, version)
        self.snapshots.setdefault(stream, []).append((version, state))
        self.load_a_range_from_its_latest_snapshot(stream, None, None)

    @rule(stream=st.sampled_from(STREAMS), past=st.integers(1, 3))
    def save_a_snapshot_past_the_end_changes_nothing(self, stream: StreamId, past: int) -> None:
        version = len(self.model.get(stream, [])) + past
        with pytest.raises(InvalidSnapshot):
            self.store.save_snapshot(stream, AccountSnapshot(balance=0, deposits=0), version)
        assert len(self.store.snapshots(stream)) == len(self.snapshots.get(stream, []))

    @precondition(lambda self: self.reopened < REOPENS)
    @rule()
    def reopen(self) -> None:
        self.store = self.stores.reopen(self.store)
        self.reopened += 1

    # Invariants

    @invariant()
    def every_stream_equals_the_model_with_versions_one_to_n(self) -> None:
        for stream in STREAMS:
            loaded = self.store.load_stream(stream, snapshots=False)
            assert as_stored(loaded) == self.model.get(stream, [])
            assert [r.version for r in loaded] == list(range(1, len(loaded) + 1))
            assert all(r.stream_id == stream for r in loaded)

    @invariant()
    def the_streams_are_listed_in_creation_order(self) -> None:
        listed = [
            (s.stream_id, s.stream_id.name, s.version, s.events, s.snapshots)
            for s in self.store.streams()
        ]
        assert listed == [
            (s, s.name, len(events), len(events), len(self.snapshots.get(s, [])))
            for s, events in self.model.items()
        ]

    @invariant()
    def the_whole_store_holds_every_event_once_in_append_order(self) -> None:
        whole = self.store.read_all()
        assert [r.uuid for r in whole] == self.log
        positions = [r.position for r in whole]
        assert all(a < b for a, b in pairwise(positions))
        assert all(p <= self.highest for p in positions)
        where = {e.uuid: (s, v) for s, events in self.model.items() for v, e in enumerate(events)}
        for record in whole:
            stream, index = where[record.uuid]
            assert (record.stream_id, record.stream_id.name) == (stream, stream.name)
            assert record.version == index + 1
            assert stored(record.event, record.uuid) == self.model[stream][index]


def test_the_store_behaves_as_a_dict_of_streams(stores: Stores) -> None:
    """Failures shrink on memory, where a step costs little; on the databases they are
    reported as found (a bug of every backend shows up shrunk on memory too), and shrunk
    when ``HYPOTHESIS_PROFILE=deep``."""

    class OnTheBackend(StoreMachine):
        pass

    OnTheBackend.stores = stores
    shrink = stores.name == "memory" or DEPTH > 1
    run_state_machine_as_test(OnTheBackend, settings=budget(40, steps=40, shrink=shrink))
