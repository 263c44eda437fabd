"""The Workbench's outbox questions: entries, attempts, summary, and replay (read-only by
default)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from event_sourcery import Outbox, Recorded, RetryPolicy, connect
from tests.workbench.store_data import ADA, uid, write_store
from workbench import ReadOnlyWorkbench, Workbench


class Down(Exception):
    """The broker refused."""


@pytest.fixture
def url(store_url: str) -> str:
    write_store(store_url)
    store = connect(store_url)
    outbox = Outbox(
        store, relay_id="r1", retry_policy=RetryPolicy(base=1.0, cap=1.0, max_attempts=1)
    )

    def refuse_the_withdrawal(recorded: Recorded) -> None:
        if recorded.uuid == uid(3):
            raise Down("broker <down>")

    outbox.run_once(refuse_the_withdrawal)
    store.close()
    return store_url


@pytest.fixture
def wb(url: str) -> Iterator[Workbench]:
    with Workbench.open(url, app="tests.workbench.domain") as workbench:
        yield workbench


def test_entries_by_status_and_stream_with_their_attempts(wb: Workbench) -> None:
    entries = wb.outbox()
    assert dict(zip(entries["event_uuid"], entries["status"], strict=True)) == {
        str(uid(1)): "delivered",
        str(uid(2)): "delivered",
        str(uid(3)): "dead",
        str(uid(4)): "delivered",
        str(uid(5)): "delivered",
    }
    assert list(wb.outbox("dead")["last_error_type"]) == ["Down"]
    assert len(wb.outbox(stream="wallet-ada")) == 4
    assert len(wb.outbox(stream=ADA, status="delivered")) == 3
    attempts = wb.attempts(uid(3))
    assert list(zip(attempts["relay_id"], attempts["outcome"], strict=True)) == [("r1", "dead")]


def test_the_summary_counts_statuses_and_groups_failures(wb: Workbench) -> None:
    summary = wb.outbox_summary()
    assert (summary.counts["delivered"], summary.counts["dead"], summary.counts["pending"]) == (
        4,
        1,
        0,
    )
    assert list(summary.failures["error_type"]) == ["Down"]
    assert "&lt;down&gt;" in summary._repr_html_()


def test_a_read_only_workbench_plans_replays_but_refuses_to_send(wb: Workbench) -> None:
    plan = wb.replay(wb.store.outbox.selection("dead"))
    assert list(plan["event_uuid"]) == [str(uid(3))]
    sent: list[object] = []
    with pytest.raises(ReadOnlyWorkbench, match="read_only=False"):
        wb.replay(wb.store.outbox.selection("dead"), sent.append, dry_run=False)
    assert sent == []
    assert wb.outbox("dead")["attempts"].tolist() == [1]


def test_a_writable_workbench_replays_and_records_it(url: str) -> None:
    sent: list[Recorded] = []
    with Workbench.open(url, app="tests.workbench.domain", read_only=False) as wb:
        attempts = wb.replay(wb.store.outbox.selection("dead"), sent.append, dry_run=False)
        assert [r.uuid for r in sent] == [uid(3)]
        assert list(attempts["replay"]) == [True]
        assert wb.outbox("dead").empty
