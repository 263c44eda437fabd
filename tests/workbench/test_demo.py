"""The demo store: deterministic for a seed, realistic in what it holds (upcast rows, one
drifted snapshot, an outbox history, causation chains), and its command line."""

from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from event_sourcery import (
    EntryStatus,
    EventStore,
    Outcome,
    RawEvent,
    Repository,
    StreamId,
    connect,
    event_name,
)
from workbench.cli import main
from workbench.demo import (
    EVENT_TYPES,
    PUBLISHED,
    CustomerSubscribed,
    DemoError,
    DemoSummary,
    Invoice,
    Subscription,
    SubscriptionSnapshot,
    UsageRecorded,
    build_demo,
    populate,
)
from workbench.demo.catalog import list_price

EVENTS = 2_000
SEED = 7
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, DemoSummary]:
    """One demo store, built once for the tests that only read it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    return url, build_demo(url, events=EVENTS, seed=SEED, progress=False)


@pytest.fixture
def store(demo: tuple[str, DemoSummary]) -> Iterator[EventStore]:
    with connect(demo[0]) as opened:
        yield opened


def _streams(raws: list[RawEvent]) -> dict[StreamId, list[RawEvent]]:
    streams: dict[StreamId, list[RawEvent]] = {}
    for raw in raws:
        streams.setdefault(raw.stream_id, []).append(raw)
    return streams


def _contents(store: EventStore) -> dict[str, Any]:
    """What a demo store holds, as comparable values; not outbox wall-clock times (attempts
    count from the first one)."""
    raws = store.read_all_raw()
    events = [
        (
            r.uuid,
            r.stream_id.name,
            r.stream_id.category,
            r.version,
            r.position,
            r.type,
            r.schema_version,
            r.data,
            r.context,
            r.created_at,
        )
        for r in raws
    ]
    snapshots = [
        (s.uuid, s.created_at, s.stream_id.name, s.version, s.type, s.schema_version, s.data)
        for stream in _streams(raws)
        for s in store.snapshots_raw(stream)
    ]
    entries = [
        (e.position, e.event_uuid, e.type, e.status, e.attempts, e.failures, e.last_error)
        for e in store.outbox.entries()
    ]
    attempts = store.outbox.attempts()
    origin = min(a.started_at for a in attempts)
    history = [
        (
            a.position,
            a.number,
            a.relay_id,
            a.outcome,
            a.error_type,
            a.error_message,
            a.started_at - origin,
            a.finished_at and a.finished_at - origin,
        )
        for a in attempts
    ]
    return {"events": events, "snapshots": snapshots, "entries": entries, "attempts": history}


def test_the_same_seed_builds_the_same_store(tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path / name}" for name in ("a.db", "b.db")]
    summaries = [build_demo(url, events=EVENTS, seed=SEED, progress=False) for url in urls]
    assert dataclasses.replace(summaries[0], seconds=0) == dataclasses.replace(
        summaries[1], seconds=0
    )
    with connect(urls[0]) as first, connect(urls[1]) as second:
        assert _contents(first) == _contents(second)


def test_another_seed_builds_another_store(tmp_path: Path, store: EventStore) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    build_demo(url, events=EVENTS, seed=SEED + 1, progress=False)
    with connect(url) as other:
        theirs, ours = other.read_all_raw(), store.read_all_raw()
    assert len(theirs) == len(ours) == EVENTS
    assert {r.uuid for r in theirs}.isdisjoint(r.uuid for r in ours)
    assert [r.data for r in theirs] != [r.data for r in ours]


def test_the_summary_counts_what_the_store_holds(
    demo: tuple[str, DemoSummary], store: EventStore
) -> None:
    summary = demo[1]
    raws = store.read_all_raw()
    streams = _streams(raws)
    categories = Counter(stream.category for stream in streams)
    snapshots = sum(len(store.snapshots_raw(stream)) for stream in streams)
    counts = store.outbox.counts()
    assert summary.events == len(raws) == EVENTS
    assert (summary.streams, summary.subscriptions, summary.invoices) == (
        len(streams),
        categories["subscription"],
        categories["invoice"],
    )
    assert summary.snapshots == snapshots > 0
    older = [
        r for r in raws if r.schema_version < store.registry.resolve(r.type).__schema_version__
    ]
    assert summary.legacy_events == len(older) > 0
    assert (summary.outbox_delivered, summary.outbox_dead, summary.outbox_pending) == (
        counts[EntryStatus.DELIVERED],
        counts[EntryStatus.DEAD],
        counts[EntryStatus.PENDING],
    )
    assert summary.failed_attempts == sum(
        a.outcome is Outcome.FAILED for a in store.outbox.attempts()
    )
    assert (summary.first_event_at, summary.last_event_at) == (
        min(r.created_at for r in raws),
        max(r.created_at for r in raws),
    )
    assert f"{EVENTS:,} events" in str(summary)


def test_every_event_type_of_the_demo_is_stored(store: EventStore) -> None:
    stored = {raw.type for raw in store.read_all_raw()}
    assert stored == {event_name(cls) for cls in EVENT_TYPES}


def test_streams_are_named_by_category_and_their_times_rise_within_six_months(
    store: EventStore,
) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for stream, raws in _streams(store.read_all_raw()).items():
        assert stream.category in ("subscription", "invoice")
        assert stream.name is not None
        assert stream.name.startswith(f"{stream.category}-")
        assert stream == StreamId(name=stream.name, category=stream.category)
        assert [raw.version for raw in raws] == list(range(1, len(raws) + 1))
        times = [raw.created_at for raw in raws]
        assert all(earlier < later for earlier, later in itertools.pairwise(times))
        assert start <= times[0]
        assert times[-1] < start + timedelta(days=183)


def test_first_month_signups_are_stored_at_schema_version_1_and_load_upcast(
    store: EventStore,
) -> None:
    signups = store.read_all_raw(types=["demo.CustomerSubscribed"])
    old = [raw for raw in signups if raw.schema_version == 1]
    assert old
    assert any(raw.schema_version == 2 for raw in signups)
    for raw in old:
        assert "price" not in raw.data
        assert "currency" not in raw.data
        assert raw.created_at < datetime(2024, 2, 1, tzinfo=UTC)
        event = store.load_stream(raw.stream_id, stop=2, snapshots=False)[0].event
        assert isinstance(event, CustomerSubscribed)
        assert event.price == list_price(event.plan_id, event.model)
        assert event.currency == "EUR"
        assert event.customer.address.country


def test_replaying_the_events_gives_every_snapshot_but_the_drifted_one(
    demo: tuple[str, DemoSummary], store: EventStore
) -> None:
    summary = demo[1]
    assert summary.drifted_stream == StreamId(name="subscription-1", category="subscription")
    drifted = []
    for stream in _streams(store.read_all_raw(categories=["subscription"])):
        for recorded in store.snapshots(stream):
            stored = recorded.event
            assert isinstance(stored, SubscriptionSnapshot)
            version = recorded.version or 0
            replayed = Subscription()
            for event in store.load_stream(stream, stop=version + 1, snapshots=False):
                replayed.__apply__(event.event)
            rebuilt = replayed.__snapshot__()
            if stored != rebuilt:
                drifted.append((stream, version))
                assert stored.balance == rebuilt.balance - rebuilt.late_fees
                assert stored.model_copy(update={"balance": rebuilt.balance}) == rebuilt
    assert drifted == [(summary.drifted_stream, summary.drifted_version)]


def test_every_stream_rebuilds_through_its_aggregate(store: EventStore) -> None:
    repository: Repository[Any] = Repository(store)
    for stream in _streams(store.read_all_raw()):
        if stream.category == "invoice":
            invoice = repository.load(stream, Invoice)
            assert invoice.status in ("open", "paid", "void")
            assert invoice.amount_due == (0 if invoice.status == "paid" else invoice.total)
        else:
            subscription = repository.load(stream, Subscription)
            assert subscription.status in ("active", "past_due", "cancelled")
            assert subscription.customer is not None
            assert subscription.customer.address.city


def test_the_outbox_holds_deliveries_retries_dead_letters_and_pending_entries(
    store: EventStore,
) -> None:
    outbox = store.outbox
    entries = outbox.entries()
    by_status = Counter(entry.status for entry in entries)
    assert min(by_status[status] for status in EntryStatus) > 0
    assert any(e.attempts == 0 for e in entries if e.status is EntryStatus.PENDING)
    assert all("MessageRejected" in (e.last_error or "") for e in outbox.entries("dead"))
    outcomes: dict[int, list[Outcome]] = {}
    for attempt in outbox.attempts():
        outcomes.setdefault(attempt.position, []).append(attempt.outcome)
    retried = [
        seen
        for seen in outcomes.values()
        if seen[0] is Outcome.FAILED and seen[-1] is Outcome.DELIVERED
    ]
    assert len(retried) > 10
    usage = {raw.position for raw in store.read_all_raw(types=[UsageRecorded])}
    assert usage
    assert usage.isdisjoint(entry.position for entry in entries)
    assert len(entries) == EVENTS - len(usage)


def test_causation_ids_name_earlier_events_of_the_same_operation(store: EventStore) -> None:
    raws = store.read_all_raw()
    by_uuid = {raw.uuid: raw for raw in raws}
    links: Counter[tuple[str, str]] = Counter()
    for raw in raws:
        context = raw.context
        assert context["correlation_id"]
        assert context["actor"]
        if context["causation_id"] is None:
            continue
        cause = by_uuid[UUID(context["causation_id"])]
        assert cause.context["correlation_id"] == context["correlation_id"]
        assert cause.created_at < raw.created_at
        links[(cause.type, raw.type)] += 1
    for link in (
        ("demo.CustomerSubscribed", "demo.SubscriptionRenewed"),
        ("demo.SubscriptionRenewed", "demo.InvoiceIssued"),
        ("demo.InvoiceIssued", "demo.PaymentFailed"),
        ("demo.PaymentFailed", "demo.LateFeeCharged"),
        ("demo.PaymentFailed", "demo.PaymentSucceeded"),
        ("demo.PaymentSucceeded", "demo.PaymentReceived"),
    ):
        assert links[link] > 0, link


def test_populate_fills_an_in_memory_store() -> None:
    store = connect("memory://", with_outbox=PUBLISHED)
    summary = populate(store, events=600, seed=1, progress=False)
    assert summary.events == len(store.read_all_raw()) == 600
    assert summary.legacy_events > 0


def test_building_into_a_store_that_holds_events_is_refused(demo: tuple[str, DemoSummary]) -> None:
    with pytest.raises(DemoError, match="already holds events"):
        build_demo(demo[0], events=10, progress=False)


@pytest.mark.parametrize("url", ["memory://", "sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_url_is_refused_since_the_demo_would_vanish(url: str) -> None:
    with pytest.raises(DemoError, match="vanish"):
        build_demo(url, events=10, progress=False)


@pytest.mark.parametrize("events", [0, -1, True, 2.5])
def test_a_number_of_events_below_one_or_not_whole_is_refused(events: Any, tmp_path: Path) -> None:
    with pytest.raises(DemoError, match="events"):
        build_demo(f"sqlite:///{tmp_path / 'x.db'}", events=events, progress=False)
    assert not (tmp_path / "x.db").exists()


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_cli_builds_the_demo_and_prints_one_summary_line(tmp_path: Path) -> None:
    done = _cli("demo", "--db", "cli.db", "--events", "500", "--seed", "3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    assert line.startswith("cli.db: 500 events in ")
    for part in ("streams", "snapshots", "delivered", "dead", "pending", " s"):
        assert part in line
    with connect(f"sqlite:///{tmp_path / 'cli.db'}") as built:
        assert len(built.read_all_raw()) == 500


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "--db", "x.db", "--events", "0"],
        ["demo", "--db", "x.db", "--events", "many"],
        ["demo", "--db", "x.db", "--seed", "one"],
        ["demo", "--events", "10"],
        ["demo", "--db", "x.db", "--url", "sqlite:///y.db"],
        ["demo", "--url", "mysql://nobody@nowhere/db", "--events", "10"],
        ["demo", "--url", "not a url"],
        ["demo", "--url", "sqlite:///x.db", "--force"],
        ["demo", "--db", "no/such/folder/x.db", "--events", "10"],
        ["launch"],
        [],
    ],
)
def test_the_cli_refuses_bad_arguments_in_one_line_with_exit_code_2(
    args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith("python -m workbench")
    assert "error:" in line
    assert not (tmp_path / "x.db").exists()


def test_the_cli_run_as_a_module_refuses_bad_arguments_without_a_traceback(
    tmp_path: Path,
) -> None:
    done = _cli("demo", "--db", "x.db", "--events", "-5", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert "--events" in line


def test_the_cli_refuses_an_existing_database_unless_forced(tmp_path: Path) -> None:
    assert _cli("demo", "--db", "d.db", "--events", "50", cwd=tmp_path).returncode == 0
    refused = _cli("demo", "--db", "d.db", "--events", "80", cwd=tmp_path)
    assert refused.returncode == 2
    [line] = refused.stderr.splitlines()
    assert "already exists" in line
    assert "--force" in line
    forced = _cli("demo", "--db", "d.db", "--events", "80", "--force", "--quiet", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert forced.stderr == ""
    with connect(f"sqlite:///{tmp_path / 'd.db'}") as rebuilt:
        assert len(rebuilt.read_all_raw()) == 80


def test_importing_the_demo_again_beside_the_test_suites_events_registers_nothing_twice() -> None:
    code = (
        "import importlib, event_sourcery.testing.events, tests.workbench.domain\n"
        "import workbench.demo, workbench.demo.events as events\n"
        "importlib.reload(events)\n"
        "importlib.import_module('workbench.demo')\n"
        "from event_sourcery import default_registry\n"
        "assert default_registry.get('demo.CustomerSubscribed') is events.CustomerSubscribed\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.postgres
def test_postgresql_gets_the_same_demo_as_sqlite(
    fresh_postgres_url: str, store: EventStore
) -> None:
    summary = build_demo(fresh_postgres_url, events=EVENTS, seed=SEED, progress=False)
    assert summary.events == EVENTS
    assert summary.drifted_stream == StreamId(name="subscription-1", category="subscription")
    with connect(fresh_postgres_url) as postgres:
        theirs, ours = _contents(postgres), _contents(store)
    assert theirs == ours
