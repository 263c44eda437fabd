"""A store holding hostile text (``<script>`` and ``<img onerror>`` in payloads, a stream
name, a snapshot and an outbox error), and a check that a view renders none of it as HTML."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

from bokeh.model import Model
from panel.models.markup import HTML, JSON
from panel.models.tabulator import DataTabulator
from panel.viewable import Viewer

from event_sourcery import Envelope, Outbox, Recorded, RetryPolicy, StreamId, connect
from tests.workbench.domain import MoneyMoved, Owner, WalletOpened, WalletSnapshot

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE = (SCRIPT, IMG)
STREAM = StreamId(name=f"wallet {IMG}", category="wallet")
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Refused(Exception):
    """The broker refused, with a message that holds markup."""


def write_hostile(url: str) -> StreamId:
    """A wallet whose owner, note, snapshot and outbox error hold hostile markup; its
    snapshot (at version 2) drifted."""
    store = connect(url, with_outbox=True)
    try:
        store.append(
            Envelope(
                event=WalletOpened(owner=Owner(name=SCRIPT, city=IMG), limit=1), created_at=T0
            ),
            Envelope(event=MoneyMoved(amount=5, note=IMG), created_at=T0 + timedelta(hours=1)),
            stream_id=STREAM,
        )
        owner = {"name": SCRIPT, "city": IMG}
        store.save_snapshot(STREAM, WalletSnapshot(owner=owner, balance=99, moves=1), 2)
        outbox = Outbox(
            store, relay_id="r1", retry_policy=RetryPolicy(base=1.0, cap=1.0, max_attempts=1)
        )

        def refuse(recorded: Recorded[Any]) -> None:
            raise Refused(f"{SCRIPT} {IMG}")

        outbox.run_once(refuse)
    finally:
        store.close()
    return STREAM


def shown_as_text(view: Viewer) -> set[str]:
    """Render ``view``'s models and fail if any hostile text would be HTML; return where it
    is shown as text (``table:<field>``, ``json``, ``note``)."""
    root = view.__panel__().get_root()
    found: set[str] = set()
    for model in root.references():
        found |= _checked(model)
    return found


def _checked(model: Model) -> set[str]:
    found: set[str] = set()
    if isinstance(model, JSON):  # parsed as JSON and shown as text nodes
        if any(_json_text(needle) in model.text for needle in HOSTILE):
            found.add("json")
    elif isinstance(model, HTML):  # the client decodes the text once, then sets innerHTML
        markup = html.unescape(model.text)
        assert not any(needle in markup for needle in HOSTILE), markup
        if any(needle in html.unescape(markup) for needle in HOSTILE):
            found.add("note")
    elif isinstance(model, DataTabulator):
        table: Any = model  # Bokeh's property descriptors are not typed as their values
        formatters = {c.get("field"): c.get("formatter") for c in table.configuration["columns"]}
        for field, values in table.source.data.items():
            if any(isinstance(v, str) and n in v for v in values for n in HOSTILE):
                assert formatters.get(field) == "plaintext", (field, formatters.get(field))
                found.add(f"table:{field}")
    return found


def _json_text(needle: str) -> str:
    """How ``needle`` reads inside a JSON document."""
    return needle.replace('"', '\\"')
