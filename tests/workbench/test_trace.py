"""Workbench.trace: one event's stream, causes, effects and delivery."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from event_sourcery import Outbox, connect
from tests.workbench.store_data import uid, write_store
from workbench import InvalidFilter, Workbench


@pytest.fixture
def wb(store_url: str) -> Iterator[Workbench]:
    write_store(store_url)
    with Workbench.open(store_url, app="tests.workbench.domain") as workbench:
        yield workbench


def test_a_trace_has_the_event_its_cause_its_effects_and_its_pending_entry(
    wb: Workbench,
) -> None:
    story = wb.trace(uid(2))
    event = story.event
    assert (event["type"], event["stream_name"], event["version"]) == (
        "wb.MoneyMoved",
        "wallet-ada",
        2,
    )
    assert event["data"] == {"amount": 50, "note": "<script>alert(1)</script>"}
    assert event["context"]["correlation_id"] == str(uid(1))
    assert story.parent is not None
    assert story.parent["event_uuid"] == str(uid(1))
    assert list(story.children["event_uuid"]) == [str(uid(3))]
    assert story.outbox is not None
    assert (story.outbox["status"], story.outbox["attempts"]) == ("pending", 0)
    assert story.attempts.empty


def test_a_delivered_event_shows_its_attempts(store_url: str, wb: Workbench) -> None:
    store = connect(store_url)
    Outbox(store, relay_id="relay-1").run_once(lambda recorded: None)
    store.close()
    story = wb.trace(str(uid(1)))
    assert story.parent is None
    assert story.outbox is not None
    assert story.outbox["status"] == "delivered"
    assert list(zip(story.attempts["relay_id"], story.attempts["outcome"], strict=True)) == [
        ("relay-1", "delivered")
    ]


def test_an_event_appended_without_the_outbox_has_no_entry(wb: Workbench) -> None:
    story = wb.trace(uid(6))
    assert story.outbox is None
    assert story.attempts.empty
    assert "no outbox entry" in story._repr_html_()


def test_the_html_escapes_the_payload(wb: Workbench) -> None:
    shown = wb.trace(uid(2))._repr_html_()
    assert "<script>" not in shown
    assert "&lt;script&gt;" in shown


def test_an_unknown_event_uuid_is_refused(wb: Workbench) -> None:
    with pytest.raises(InvalidFilter, match="no event with uuid"):
        wb.trace(uid(99))
