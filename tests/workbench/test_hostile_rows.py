"""Rows the store did not write (changed with SQL) and hostile names, in the workbench: every
view shows such a row as stored, says why it is undecodable, and carries on past it."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from sqlalchemy import Engine, text

from event_sourcery import (
    Aggregate,
    EntryStatus,
    Event,
    EventStore,
    Outbox,
    RawEvent,
    Recorded,
    StreamId,
    applies,
    connect,
)
from event_sourcery.storage.sql.storage import SqlStorage
from event_sourcery.storage.sql.transactions import EngineTransactions
from tests.workbench.dashboard.hostile import SCRIPT, shown_as_text
from workbench import SnapshotStatus, Workbench
from workbench.dashboard.event_view import EventDetailView
from workbench.dashboard.state import DashboardState
from workbench.dashboard.timetravel_view import TimeTravelView
from workbench.errors import CannotFoldPast, StateNotFound
from workbench.frames import UNDECODABLE

APP = "tests.workbench.test_hostile_rows"


class Tallied(Event):
    __event_name__: ClassVar[str] = "wb_hostile.Tallied"
    amount: int
    note: dict[str, Any] | None = None


class TallySnapshot(Event):
    __event_name__: ClassVar[str] = "wb_hostile.TallySnapshot"
    total: int


class Tally(Aggregate):
    category = "tally"

    def __init__(self) -> None:
        self.total = 0

    @applies(Tallied)
    def _tallied(self, event: Tallied) -> None:
        self.total += event.amount

    def __snapshot__(self) -> Event:
        return TallySnapshot(total=self.total)

    def __restore__(self, snapshot: Event) -> None:
        assert isinstance(snapshot, TallySnapshot)
        self.total = snapshot.total


@dataclass
class Corrupted:
    """A store of three tally streams, changed behind the library's back: in ``bad`` the
    second event's payload is malformed (SQLite) or not an object (PostgreSQL, whose jsonb
    takes valid JSON only) and its context is not an object; ``unknown``'s second event
    has a type no class answers to and ``future``'s a schema version from the future."""

    url: str
    bad: StreamId
    unknown: StreamId
    future: StreamId
    rows: dict[str, RawEvent]
    dialect: str
    payload: str
    """What ``bad``'s second event's payload is now."""


def _engine(store: EventStore) -> Engine:
    storage = store.storage
    assert isinstance(storage, SqlStorage)
    assert isinstance(storage.transactions, EngineTransactions)
    return storage.transactions.engine


def _update(engine: Engine, table: str, sets: str, where: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET {sets} WHERE {where}"))


@pytest.fixture
def corrupted(store_url: str) -> Corrupted:
    streams = {
        key: StreamId(name=f"{key}-1", category="tally") for key in ("bad", "unknown", "future")
    }
    rows = {}
    with connect(store_url, with_outbox=True) as store:
        engine = _engine(store)
        for key, stream in streams.items():
            store.append(
                Tallied(amount=1),
                Tallied(amount=2, note={"deep": {"er": 1}}),
                Tallied(amount=3),
                stream_id=stream,
            )
            store.save_snapshot(stream, TallySnapshot(total=6), 3)
            rows[key] = store.load_stream_raw(stream)[1]
        dialect = engine.dialect.name
        payload = '{"amount": 2, oops' if dialect == "sqlite" else '["amount", 2]'
        _update(
            engine,
            "event_sourcery_events",
            f"data = '{payload}', context = '[1, 2]'",
            f"position = {rows['bad'].position}",
        )
        for table in ("event_sourcery_events", "event_sourcery_outbox"):  # the outbox keeps
            _update(  # a copy of the type, which its relay reads
                engine,
                table,
                "type = 'wb_hostile.Vanished'",
                f"position = {rows['unknown'].position}",
            )
        _update(
            engine,
            "event_sourcery_events",
            "schema_version = 42",
            f"position = {rows['future'].position}",
        )
    bad, unknown, future = streams.values()
    return Corrupted(store_url, bad, unknown, future, rows, dialect, payload)


@pytest.fixture
def wb(corrupted: Corrupted) -> Iterator[Workbench]:
    with Workbench.open(corrupted.url, app=APP) as workbench:
        yield workbench


def test_the_events_frame_shows_the_corrupted_row_as_stored_and_says_why(
    corrupted: Corrupted, wb: Workbench
) -> None:
    frame = wb.events()
    assert len(frame) == 9
    assert frame["type"].tolist().count("wb_hostile.Vanished") == 1  # shown as stored
    assert sorted(frame["schema_version"].unique().tolist()) == [1, 42]
    bad = frame[frame["event_uuid"] == str(corrupted.rows["bad"].uuid)].iloc[0]
    assert "context: a JSON list, not an object" in bad[UNDECODABLE]
    if corrupted.dialect == "sqlite":
        assert "payload: not valid JSON" in bad[UNDECODABLE]
        assert bad["data"] == '{"amount": 2, oops'
    else:
        assert bad["data"] == ["amount", 2]  # valid JSON, just not an object
    good = frame[frame["event_uuid"] != str(corrupted.rows["bad"].uuid)]
    assert good[UNDECODABLE].isna().all()
    assert good["data.amount"].tolist() == [1, 3, 1, 2, 3, 1, 2, 3]
    assert wb.events(payload=False)[UNDECODABLE].notna().sum() == 1
    assert len(wb.events(corrupted.bad)) == 3


def test_streams_types_and_pages_carry_on_past_corrupted_rows(
    corrupted: Corrupted, wb: Workbench
) -> None:
    assert wb.streams()["stream_name"].tolist() == ["bad-1", "unknown-1", "future-1"]
    types = wb.types().set_index("type")
    assert not types.loc["wb_hostile.Vanished", "known"]
    assert types.loc["wb_hostile.Tallied", "schema_versions"] == [1, 42]
    page = wb.pager(size=20).first().frame()
    assert len(page) == 9
    bad = page[page["event_uuid"] == str(corrupted.rows["bad"].uuid)].iloc[0]
    assert bad["data"] == corrupted.payload
    assert "context: a JSON list" in bad[UNDECODABLE]


def test_the_timeline_folds_the_other_events_and_names_the_undecodable_version(
    corrupted: Corrupted, wb: Workbench
) -> None:
    timeline = wb.timeline(corrupted.bad)
    assert timeline.at(3)["amount"] == 3
    if corrupted.dialect == "sqlite":
        assert timeline.at(2) == timeline.at(1)  # nothing to fold from version 2
        [(version, why)] = timeline.undecodable().items()
        assert version == 2
        assert why.startswith("not valid JSON")
    else:  # valid JSON that is not an object folds in as a value, as any such payload does
        assert timeline.at(2)["value"] == ["amount", 2]
        assert timeline.undecodable() == {}
    event = timeline.event(2)
    assert "context: " in event["undecodable"]
    assert event["context"] == [1, 2]
    states = timeline.states()
    assert states["version"].tolist() == [1, 2, 3]
    for stream in (corrupted.unknown, corrupted.future):  # raw payloads need no class
        assert wb.timeline(stream).at(2) == {"amount": 2, "note": {"deep": {"er": 1}}}


def test_the_trace_of_a_corrupted_event_shows_it_as_stored(
    corrupted: Corrupted, wb: Workbench
) -> None:
    traced = wb.trace(corrupted.rows["bad"].uuid)
    assert "context: a JSON list, not an object" in traced.event[UNDECODABLE]
    if corrupted.dialect == "sqlite":
        assert traced.event["data"] == '{"amount": 2, oops'
        assert "payload: not valid JSON" in traced.event[UNDECODABLE]
    assert traced.event["context"] == [1, 2]
    assert "<h4>" in traced._repr_html_()
    assert wb.trace(corrupted.rows["unknown"].uuid).event[UNDECODABLE] is None


def test_the_snapshot_audit_marks_corrupted_snapshots_and_events_undecodable(
    corrupted: Corrupted, wb: Workbench
) -> None:
    engine = _engine(wb.store)
    snapshot = wb.store.snapshots_raw(corrupted.future)[0]
    uuid = snapshot.uuid.hex if corrupted.dialect == "sqlite" else str(snapshot.uuid)
    _update(engine, "event_sourcery_snapshots", "data = '[]'", f"uuid = '{uuid}'")
    audit = wb.audit_snapshots().set_index("stream_name")
    assert audit["status"].tolist() == [SnapshotStatus.UNDECODABLE.value] * 3
    assert "UndecodableEvent" not in audit.loc["bad-1", "reason"]  # the message, not a repr
    assert str(corrupted.rows["bad"].uuid) in audit.loc["bad-1", "reason"]
    assert "no event class is registered" in audit.loc["unknown-1", "reason"]
    assert "snapshot at position" in audit.loc["future-1", "reason"]
    state = wb.diff_snapshots("future-1", 3, 3)
    assert len(state) == 0
    comparison = wb.compare_snapshot("future-1")
    assert comparison.status is SnapshotStatus.UNDECODABLE
    assert "undecodable" in comparison._repr_html_()


def test_the_outbox_audit_lists_an_entry_whose_event_is_corrupted(
    corrupted: Corrupted, wb: Workbench
) -> None:
    sent: list[Recorded[Event]] = []
    with connect(corrupted.url) as store:
        report = Outbox(store).run_once(sent.append)
    assert report.dead == 3  # each corrupted event is dead at once, the others delivered
    assert len(sent) == 6
    entries = wb.outbox().set_index("position")
    for row in corrupted.rows.values():
        assert entries.loc[row.position, "status"] == EntryStatus.DEAD.value
        assert str(row.uuid) in entries.loc[row.position, "last_error"]
    assert wb.outbox_summary().counts[EntryStatus.DEAD] == 3
    assert len(wb.attempts(corrupted.rows["bad"].position)) == 1
    plan = wb.replay([row.position for row in corrupted.rows.values()])
    assert plan["action"].tolist() == ["send"] * 3


def test_find_streams_takes_percent_underscore_and_quotes_literally(store_url: str) -> None:
    names = ["100%", "1000", "a_b", "axb", "it's", 'say "hi"', "back\\slash"]
    with connect(store_url) as store:
        for name in names:
            store.append(Tallied(amount=1), stream_id=StreamId(name=name, category="tally"))
    with Workbench.open(store_url, app=APP) as wb:
        for name in names:
            assert wb.find_streams(name)["stream_name"].tolist() == [name]
        assert wb.find_streams("%")["stream_name"].tolist() == ["100%"]
        assert wb.find_streams("_")["stream_name"].tolist() == ["a_b"]
        assert len(wb.events("it's")) == 1
        assert wb.timeline('say "hi"').at(1) == {"amount": 1, "note": None}


@pytest.mark.parametrize("depth", [1_000, 5_000])
def test_a_row_nested_thousands_deep_is_shown_not_recursed_into(store_url: str, depth: int) -> None:
    stream = StreamId(name="deep", category="tally")
    with connect(store_url) as store:
        store.append(Tallied(amount=1), Tallied(amount=2), stream_id=stream)
        row = store.load_stream_raw(stream)[1]
        deep = '{"amount": 2, "note": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
        where = f"position = {row.position}"
        _update(_engine(store), "event_sourcery_events", f"data = '{deep}'", where)
    with Workbench.open(store_url, app=APP) as wb:
        frame = wb.events(stream)
        assert frame["data.amount"].iloc[0] == 1
        if depth > 1_000:  # past the JSON parser's own limit: the text is kept, and why
            assert frame[UNDECODABLE].isna().tolist() == [True, False]
            assert "not valid JSON" in frame[UNDECODABLE].iloc[1]
            stored = wb.store.event_raw(row.uuid)
            assert stored is not None
            assert frame["data"].iloc[1] == stored.data_json  # as stored (jsonb reorders)
        else:
            # parsed, and flattened 32 levels deep: the rest stays whole in one column
            assert frame["data.amount"].iloc[1] == 2
            assert UNDECODABLE not in frame
            [deepest] = [name for name in frame.columns if name.startswith("data.note.a")]
            assert deepest.count(".") == 32
        timeline = wb.timeline(stream)
        assert timeline.at(2) == {"amount": 1, "note": None}
        assert "nest" in timeline.undecodable()[2] or "not valid JSON" in timeline.undecodable()[2]
        assert wb.trace(row.uuid).event["event_uuid"] == str(row.uuid)


def test_an_aggregate_timeline_stops_before_an_undecodable_event_and_says_why(
    corrupted: Corrupted, wb: Workbench
) -> None:
    for key in ("bad", "unknown", "future"):
        stream, row = getattr(corrupted, key), corrupted.rows[key]
        timeline = wb.timeline(stream, aggregate=Tally)
        assert timeline.last_version == 3
        assert timeline.at(1) == {"total": 1}
        [(version, why)] = timeline.undecodable().items()
        assert version == 2
        assert str(row.uuid) in why
        for asked in (2, 3):
            with pytest.raises(CannotFoldPast, match="cannot fold past version 2") as caught:
                timeline.at(asked)
            assert isinstance(caught.value, StateNotFound)
            assert (caught.value.version, caught.value.position) == (2, row.position)
            assert str(row.uuid) in str(caught.value)
            assert f"no state at version {asked} rebuilt by Tally" in str(caught.value)
        with pytest.raises(CannotFoldPast):
            timeline.diff(1, 3)
        assert timeline.states()["version"].tolist() == [1]
        assert timeline.changes(1, 1)["path"].tolist() == ["total"]
        assert timeline.first(lambda state: state["total"] > 1) is None
        assert timeline.event(2)["undecodable"]
        assert "cannot be decoded: no state after it" in timeline._repr_html_()
        merged = wb.timeline(stream)  # without an aggregate: folds past it
        assert merged.at(3)["amount"] == 3


def test_a_stored_time_that_is_not_one_shows_as_undecodable_and_the_rest_carries_on(
    store_url: str,
) -> None:
    if not store_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's timestamptz column takes times only")
    stream = StreamId(name="clock", category="tally")
    with connect(store_url) as store:
        store.append(Tallied(amount=1), Tallied(amount=2), Tallied(amount=3), stream_id=stream)
        row = store.load_stream_raw(stream)[1]
        where = f"position = {row.position}"
        _update(_engine(store), "event_sourcery_events", "created_at = 'yesterday'", where)
    with Workbench.open(store_url, app=APP) as wb:
        assert wb.events()["data.amount"].tolist() == [1, 2, 3]
        for shown in (wb.events(), wb.events(stream), wb.pager(size=10).first().frame()):
            frame = shown.sort_values("position")
            assert frame["created_at"].isna().tolist() == [False, True, False]
            assert frame[UNDECODABLE].isna().tolist() == [True, False, True]
            assert (
                "created_at: the stored time 'yesterday' is not a time"
                in (frame[UNDECODABLE].iloc[1])
            )
        [listed] = wb.streams()["events"].tolist()
        assert listed == 3
        assert wb.timeline(stream).at(3)["amount"] == 3
        timeline = wb.timeline(stream, aggregate=Tally)
        assert timeline.at(1) == {"total": 1}
        assert "is not a time" in timeline.undecodable()[2]
        assert "is not a time" in timeline.event(2)["undecodable"]
        assert "is not a time" in wb.trace(row.uuid).event[UNDECODABLE]


@pytest.fixture
def evil(store_url: str) -> tuple[str, StreamId, RawEvent, str]:
    """A tally stream whose second event holds markup in a payload the store did not write
    (malformed JSON on SQLite; on PostgreSQL, whose jsonb takes JSON only, a list) and a
    context that is not an object."""
    stream = StreamId(name="evil", category="tally")
    with connect(store_url) as store:
        store.append(Tallied(amount=1), Tallied(amount=2), Tallied(amount=3), stream_id=stream)
        row = store.load_stream_raw(stream)[1]
        sqlite = store_url.startswith("sqlite")
        payload = f'{{"amount": 2, {SCRIPT}' if sqlite else f'["{SCRIPT}"]'
        sets = f"data = '{payload}', context = '[1, 2]'"
        _update(_engine(store), "event_sourcery_events", sets, f"position = {row.position}")
    return store_url, stream, row, payload


def test_the_event_view_shows_an_undecodable_events_stored_text_escaped_and_why(
    evil: tuple[str, StreamId, RawEvent, str],
) -> None:
    url, _, row, payload = evil
    with Workbench.open(url, app=APP) as wb:
        view = EventDetailView(DashboardState(wb))
        view.state.event_uuid = str(row.uuid)
        assert view.trace is not None
        assert "Undecodable: " in view.message.object
        assert "context: a JSON list, not an object" in view.message.object
        if url.startswith("sqlite"):
            assert "payload: not valid JSON" in view.message.object
            assert view.payload.object == {"stored text": payload}
        else:
            assert view.payload.object == [SCRIPT]
        assert view.context.object == [1, 2]
        assert "json" in shown_as_text(view)  # the markup is shown, as text


def test_time_travel_through_an_undecodable_event_shows_what_it_can_and_says_what_not(
    evil: tuple[str, StreamId, RawEvent, str],
) -> None:
    url, stream, row, _ = evil
    with Workbench.open(url, app=APP) as wb:
        view = TimeTravelView(DashboardState(wb))
        view.state.stream = str(stream.uuid)
        assert "rebuilt by Tally; undecodable: version 2" in view.title.object
        assert view.version.value == 3
        assert "cannot fold past version 2" in html.unescape(view.state_note.object)
        assert str(row.uuid) in view.state_note.object
        assert view.state_pane.object == {}
        assert view.event_pane.object["version"] == 3
        assert len(view.states) == 1
        view.version.value = 1
        assert view.state_pane.object == {"total": 1}
        assert view.state_note.object == ""
        assert view.diff_table.value["path"].tolist() == ["total"]
        view.version.value = 2
        assert view.event_pane.object["undecodable"]
        assert "cannot fold past version 2" in html.unescape(view.state_note.object)
        shown_as_text(view)  # renders, and the markup is nowhere HTML
