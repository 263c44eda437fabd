"""The outbox audit room over SQLite and PostgreSQL: entries, attempts, the summary and
replays, on an outbox history built by the library's own relay under a manual clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar
from uuid import UUID, uuid4

import pandas as pd
import pytest

from event_sourcery import (
    Attempt,
    EntryStatus,
    Event,
    EventStore,
    Outbox,
    OutboxEntry,
    Recorded,
    RetryPolicy,
    StreamId,
    connect,
)
from event_sourcery.testing.clock import ManualClock
from event_sourcery.testing.publishers import BrokerDown
from workbench.errors import InvalidFilter, ReadOnlyWorkbench, WorkbenchError
from workbench.outbox_audit import (
    ATTEMPT_COLUMNS,
    ENTRY_COLUMNS,
    FAILURE_COLUMNS,
    attempts_frame,
    outbox_frame,
    outbox_summary,
    replay,
)
from workbench.outbox_audit.frames import attempts_to_frame, error_type
from workbench.outbox_audit.summary import failures_frame

UTC_TIME = "datetime64[us, UTC]"
RELAY = "relay-1"
SCRIPT = "<script>alert('x')</script>"


class InvoiceIssued(Event):
    __event_name__: ClassVar[str] = "workbench_outbox_audit.InvoiceIssued"
    amount: int


class InvoicePaid(Event):
    __event_name__: ClassVar[str] = "workbench_outbox_audit.InvoicePaid"
    amount: int


class ScriptedPublisher:
    """Takes one second of the clock per call, and raises for an event the errors
    scripted for it, one per call, before it goes through."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.script: dict[UUID, list[Exception]] = {}
        self.sent: list[Recorded[Event]] = []
        self.calls = 0

    def __call__(self, record: Recorded[Event]) -> None:
        self.calls += 1
        self.clock.advance(1)
        errors = self.script.get(record.uuid)
        if errors:
            raise errors.pop(0)
        self.sent.append(record)


@dataclass
class History:
    """An outbox whose four entries (one stream, created at ``start``) ended up delivered
    at once (a), failed then delivered (b), dead (c) and pending after a failure (d)."""

    store: EventStore
    clock: ManualClock
    publisher: ScriptedPublisher
    start: datetime
    stream: StreamId
    a: OutboxEntry
    b: OutboxEntry
    c: OutboxEntry
    d: OutboxEntry

    def at(self, seconds: float) -> pd.Timestamp:
        return pd.Timestamp(self.start + timedelta(seconds=seconds))


@pytest.fixture
def store(store_url: str) -> Iterator[EventStore]:
    store = connect(store_url, with_outbox=True)
    yield store
    store.close()


@pytest.fixture
def history(store: EventStore) -> History:
    stream = StreamId(uuid4(), category="billing")
    store.append(
        InvoiceIssued(amount=10),
        InvoicePaid(amount=10),
        InvoiceIssued(amount=20),
        InvoicePaid(amount=20),
        stream_id=stream,
    )
    a, b, c, d = store.outbox.entries()
    assert a.created_at == d.created_at  # one append, one creation time
    clock = ManualClock(a.created_at)
    publisher = ScriptedPublisher(clock)
    publisher.script = {
        b.event_uuid: [BrokerDown("the broker is down")],
        c.event_uuid: [ValueError(SCRIPT), ValueError(SCRIPT)],
        d.event_uuid: [BrokerDown("refused")],
    }
    policy = RetryPolicy(base=10.0, cap=10.0, max_attempts=2)
    relay = Outbox(store, clock=clock, retry_policy=policy, relay_id=RELAY)
    clock.advance(5)
    relay.run_once(publisher)  # +5: a delivered at +6; b fails at +7, due at +17
    clock.advance(13)
    relay.run_once(publisher)  # +20: b delivered at +21; c fails at +22, due at +32
    clock.advance(18)
    relay.run_once(publisher)  # +40: c dead at +41; d fails at +42, due at +52
    a, b, c, d = store.outbox.entries()
    return History(store, clock, publisher, a.created_at, stream, a, b, c, d)


def test_outbox_frame_has_one_row_per_entry_with_its_delivery_state(history: History) -> None:
    frame = outbox_frame(history.store).set_index("position")
    a, b, c, d = (history.a.position, history.b.position, history.c.position, history.d.position)

    assert list(frame.index) == [a, b, c, d]
    assert list(frame["status"]) == ["delivered", "delivered", "dead", "pending"]
    assert list(frame["attempts"]) == [1, 2, 2, 1]
    assert list(frame["failures"]) == [0, 1, 2, 1]
    issued, paid = "workbench_outbox_audit.InvoiceIssued", "workbench_outbox_audit.InvoicePaid"
    assert list(frame["type"]) == [issued, paid, issued, paid]
    assert set(frame["stream_id"]) == {str(history.stream.uuid)}
    assert set(frame["category"]) == {"billing"}
    assert list(frame["version"]) == [1, 2, 3, 4]
    assert frame.loc[b, "event_uuid"] == str(history.b.event_uuid)
    assert frame.loc[a, "delivered_at"] == history.at(6)
    assert frame.loc[b, "delivered_at"] == history.at(21)
    assert frame.loc[d, "delivered_at"] is pd.NaT
    assert frame.loc[d, "next_attempt_at"] == history.at(52)
    assert frame.loc[c, "next_attempt_at"] is pd.NaT
    assert frame["leased_by"].isna().all()


def test_delivery_latency_is_the_clock_time_from_creation_to_delivery(history: History) -> None:
    latency = outbox_frame(history.store).set_index("position")["delivery_latency"]

    assert latency[history.a.position] == pd.Timedelta(seconds=6)
    assert latency[history.b.position] == pd.Timedelta(seconds=21)
    assert latency[[history.c.position, history.d.position]].isna().all()


def test_last_error_and_its_type_come_from_the_last_failed_attempt(history: History) -> None:
    frame = outbox_frame(history.store).set_index("position")

    assert frame["last_error"].isna()[history.a.position]
    assert frame.loc[history.b.position, "last_error"] == "BrokerDown: the broker is down"
    assert frame.loc[history.c.position, "last_error"] == f"ValueError: {SCRIPT}"
    error_types = ["-", "BrokerDown", "ValueError", "BrokerDown"]
    assert list(frame["last_error_type"].fillna("-")) == error_types


def test_frames_hold_utc_times_durations_and_categorical_statuses(history: History) -> None:
    entries = outbox_frame(history.store)
    attempts = attempts_frame(history.store)

    for column in ("created_at", "next_attempt_at", "delivered_at"):
        assert str(entries[column].dtype) == UTC_TIME
        assert str(entries[column].dt.tz) == "UTC"
    assert str(entries["delivery_latency"].dtype) == "timedelta64[us]"
    assert list(entries["status"].cat.categories) == ["pending", "delivered", "dead"]
    assert isinstance(entries["type"].dtype, pd.CategoricalDtype)
    assert str(entries["version"].dtype) == "Int64"
    assert entries["position"].dtype == "int64"
    for column in ("started_at", "finished_at"):
        assert str(attempts[column].dtype) == UTC_TIME
    assert str(attempts["duration"].dtype) == "timedelta64[us]"
    assert list(attempts["outcome"].cat.categories) == ["delivered", "failed", "dead", "abandoned"]
    assert attempts["replay"].dtype == bool


@pytest.mark.parametrize(
    ("status", "expected"),
    [("dead", ["c"]), (EntryStatus.PENDING, ["d"]), ("delivered", ["a", "b"])],
)
def test_outbox_frame_filters_by_status_given_as_enum_or_text(
    history: History, status: EntryStatus | str, expected: list[str]
) -> None:
    positions = list(outbox_frame(history.store, status=status)["position"])

    assert positions == [getattr(history, name).position for name in expected]


def test_outbox_frame_filters_by_type_stream_time_and_limit(history: History) -> None:
    store, b, d = history.store, history.b.position, history.d.position

    assert list(outbox_frame(store, types=[InvoicePaid])["position"]) == [b, d]
    assert len(outbox_frame(store, stream=history.stream)) == 4
    assert outbox_frame(store, stream=uuid4()).empty
    assert outbox_frame(store, since=history.start + timedelta(seconds=1)).empty
    assert len(outbox_frame(store, until=history.start + timedelta(seconds=1))) == 4
    assert list(outbox_frame(store, limit=2)["position"]) == [history.a.position, b]


@pytest.mark.parametrize("status", ["sent", "DEAD", 3])
def test_an_unknown_status_is_a_typed_filter_error_naming_the_known_ones(
    store: EventStore, status: object
) -> None:
    with pytest.raises(InvalidFilter, match="'pending', 'delivered', 'dead'") as raised:
        outbox_frame(store, status=status)  # type: ignore[arg-type]

    assert isinstance(raised.value, WorkbenchError)
    assert isinstance(raised.value, ValueError)


def test_a_naive_time_bound_is_a_typed_filter_error(store: EventStore) -> None:
    with pytest.raises(InvalidFilter, match="since"):
        outbox_frame(store, since=datetime(2024, 1, 1))


def test_attempts_frame_lists_every_attempt_by_position_then_number(history: History) -> None:
    frame = attempts_frame(history.store)
    a, b, c, d = (history.a.position, history.b.position, history.c.position, history.d.position)

    assert list(frame.columns) == list(ATTEMPT_COLUMNS)
    numbered = [(a, 1), (b, 1), (b, 2), (c, 1), (c, 2), (d, 1)]
    assert list(zip(frame["position"], frame["number"], strict=True)) == numbered
    outcomes = ["delivered", "failed", "delivered", "failed", "dead", "failed"]
    assert list(frame["outcome"]) == outcomes
    assert list(frame["started_at"]) == [history.at(s) for s in (5, 6, 20, 21, 40, 41)]
    assert (frame["duration"] == pd.Timedelta(seconds=1)).all()
    assert set(frame["relay_id"]) == {RELAY}
    assert not frame["replay"].any()
    error_types = ["-", "BrokerDown", "-", "ValueError", "ValueError", "BrokerDown"]
    assert list(frame["error_type"].fillna("-")) == error_types
    assert frame["error_message"].iloc[3] == SCRIPT


def test_attempts_of_one_entry_by_entry_position_or_event_uuid(history: History) -> None:
    b = history.b
    for ref in (b, b.position, b.event_uuid, str(b.event_uuid)):
        frame = attempts_frame(history.store, ref)
        assert list(frame["position"]) == [b.position, b.position]
        assert list(frame["outcome"]) == ["failed", "delivered"]


@pytest.mark.parametrize("ref", [uuid4(), "not-a-uuid", True, 0, 1.5])
def test_an_entry_that_is_none_of_the_accepted_forms_is_a_typed_filter_error(
    history: History, ref: object
) -> None:
    with pytest.raises(InvalidFilter):
        attempts_frame(history.store, ref)  # type: ignore[arg-type]


def test_an_empty_outbox_gives_empty_frames_with_the_same_columns_and_dtypes(
    store: EventStore,
) -> None:
    entries, attempts = outbox_frame(store), attempts_frame(store)
    store.append(InvoiceIssued(amount=1), stream_id=uuid4())
    filled = outbox_frame(store)

    assert entries.empty
    assert attempts.empty
    assert list(entries.columns) == list(ENTRY_COLUMNS)
    assert list(attempts.columns) == list(ATTEMPT_COLUMNS)
    assert {k: str(v) for k, v in entries.dtypes.items()} == {
        k: str(v) for k, v in filled.dtypes.items()
    }
    assert str(attempts["started_at"].dtype) == UTC_TIME
    assert str(attempts["duration"].dtype) == "timedelta64[us]"
    assert attempts["replay"].dtype == bool


def test_summary_counts_every_status_and_percentiles_of_latency(history: History) -> None:
    summary = outbox_summary(history.store, now=history.clock.now)

    assert summary.counts == {
        EntryStatus.PENDING: 1,
        EntryStatus.DELIVERED: 2,
        EntryStatus.DEAD: 1,
    }
    assert summary.dead == 1
    assert summary.total == 4
    # Latencies 6 s and 21 s, interpolated linearly.
    assert summary.latency == {
        "p50": timedelta(seconds=13.5),
        "p90": timedelta(seconds=19.5),
        "p99": timedelta(seconds=20.85),
        "max": timedelta(seconds=21),
    }
    assert summary.oldest_pending_age == timedelta(seconds=42)
    assert summary.as_of == history.clock.now


def test_summary_groups_failed_attempts_by_error_type(history: History) -> None:
    failures = outbox_summary(history.store).failures

    assert list(failures.columns) == list(FAILURE_COLUMNS)
    assert list(failures["error_type"]) == ["BrokerDown", "ValueError"]
    assert list(failures["attempts"]) == [2, 2]
    assert list(failures["entries"]) == [2, 1]
    assert list(failures["last_seen"]) == [history.at(42), history.at(41)]
    assert list(failures["last_message"]) == ["refused", SCRIPT]
    assert str(failures["last_seen"].dtype) == UTC_TIME


def test_abandoned_attempts_without_an_error_type_group_under_their_outcome(
    history: History,
) -> None:
    lost = Attempt.abandoned(history.d, history.clock.now + timedelta(seconds=60))
    failures = failures_frame(attempts_to_frame([lost])).set_index("error_type")

    assert list(failures.index) == ["(abandoned)"]
    assert failures.loc["(abandoned)", "attempts"] == 1
    assert failures.loc["(abandoned)", "last_seen"] == history.at(102)


def test_summary_of_an_empty_outbox_has_zero_counts_and_no_latency(store: EventStore) -> None:
    summary = outbox_summary(store)

    assert summary.counts == dict.fromkeys(EntryStatus, 0)
    assert summary.latency == dict.fromkeys(["p50", "p90", "p99", "max"])
    assert summary.oldest_pending_age is None
    assert summary.failures.empty
    assert list(summary.failures.columns) == list(FAILURE_COLUMNS)
    assert "No failures" in summary._repr_html_()
    assert summary.to_frame()["total"].tolist() == [0]


def test_summary_to_frame_is_one_typed_row(history: History) -> None:
    row = outbox_summary(history.store, now=history.clock.now).to_frame()

    assert len(row) == 1
    counts = row[["pending", "delivered", "dead", "total"]].iloc[0]
    assert list(counts) == [1, 2, 1, 4]
    assert row.loc[0, "latency_max"] == pd.Timedelta(seconds=21)
    assert row.loc[0, "oldest_pending_age"] == pd.Timedelta(seconds=42)
    assert str(row["as_of"].dtype) == UTC_TIME
    assert str(row["latency_p50"].dtype) == "timedelta64[us]"


def test_summary_html_escapes_error_messages_from_the_store(history: History) -> None:
    shown = outbox_summary(history.store)._repr_html_()

    assert "<script>" not in shown
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in shown
    assert "BrokerDown" in shown
    assert "2 delivered" in shown


def test_a_summary_measured_at_a_naive_moment_is_a_typed_filter_error(store: EventStore) -> None:
    with pytest.raises(InvalidFilter, match="now"):
        outbox_summary(store, now=datetime(2024, 1, 1))


def test_a_dry_run_replay_lists_what_would_be_sent_and_sends_nothing(history: History) -> None:
    store, publisher = history.store, history.publisher
    calls, attempts = publisher.calls, len(attempts_frame(store))

    plan = replay(store, store.outbox.selection("delivered"), publisher)

    assert list(plan["position"]) == [history.a.position, history.b.position]
    assert list(plan["action"]) == ["send", "send"]
    assert list(plan.columns) == ["position", "action", *ENTRY_COLUMNS[1:]]
    assert publisher.calls == calls
    assert len(attempts_frame(store)) == attempts


def test_a_dry_run_marks_pending_entries_as_skipped(history: History) -> None:
    plan = replay(history.store, [history.a.position, history.d])

    assert list(plan["position"]) == [history.a.position, history.d.position]
    assert list(plan["action"]) == ["send", "skip"]


def test_a_replay_takes_the_positions_of_an_outbox_frame(history: History) -> None:
    dead = outbox_frame(history.store, status="dead")

    assert list(replay(history.store, dead)["position"]) == [history.c.position]


def test_a_real_replay_from_a_read_only_workbench_is_refused(history: History) -> None:
    calls = history.publisher.calls

    with pytest.raises(ReadOnlyWorkbench, match="read_only=False") as raised:
        replay(history.store, [history.a.position], history.publisher, dry_run=False)

    assert isinstance(raised.value, WorkbenchError)
    assert history.publisher.calls == calls
    assert len(attempts_frame(history.store, history.a)) == 1


def test_a_real_replay_sends_again_and_returns_the_replay_attempts(history: History) -> None:
    store, c = history.store, history.c

    done = replay(store, [history.a.position, c], history.publisher, dry_run=False, read_only=False)

    assert list(done.columns) == list(ATTEMPT_COLUMNS)
    assert list(done["position"]) == [history.a.position, c.position]
    assert list(done["number"]) == [2, 3]
    assert list(done["outcome"]) == ["delivered", "delivered"]
    assert done["replay"].all()
    assert set(done["relay_id"]) == {store.outbox.relay_id}
    assert [r.uuid for r in history.publisher.sent[-2:]] == [history.a.event_uuid, c.event_uuid]
    assert outbox_frame(store).set_index("position").loc[c.position, "status"] == "delivered"
    assert list(attempts_frame(store, c)["replay"]) == [False, False, True]


def test_a_real_replay_without_a_publisher_is_a_typed_filter_error(history: History) -> None:
    with pytest.raises(InvalidFilter, match="publisher"):
        replay(history.store, [history.a.position], dry_run=False, read_only=False)


@pytest.mark.parametrize("selection", ["1,2", 7, [0], [True], pd.DataFrame({"x": [1]})])
def test_a_selection_of_no_accepted_form_is_a_typed_filter_error(
    history: History, selection: object
) -> None:
    with pytest.raises(InvalidFilter):
        replay(history.store, selection)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("BrokerDown: refused", "BrokerDown"),
        ("test_x.<locals>.Boom: a: b", "test_x.<locals>.Boom"),
        ("the relay stopped before recording the outcome (its lease ran out)", None),
        (None, None),
    ],
)
def test_the_error_type_is_read_from_the_stored_type_colon_message_form(
    stored: str | None, expected: str | None
) -> None:
    assert error_type(stored) == expected
