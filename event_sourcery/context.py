"""Context travelling with every event: correlation and causation ids plus free extras."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from event_sourcery.event import Event
    from event_sourcery.records import Recorded


class Context(BaseModel):
    """Why an event happened: ``correlation_id`` groups a conversation, ``causation_id``
    names the event or command that caused this one; any other field is kept as given."""

    model_config = ConfigDict(extra="allow", frozen=True)

    correlation_id: UUID | None = None
    causation_id: UUID | None = None

    @classmethod
    def following(cls, cause: Recorded[Event], **extra: Any) -> Context:
        """The context of an event emitted in reaction to ``cause``: caused by it, and in
        its conversation (its correlation id, or its own uuid when it started one)."""
        correlation = cause.context.correlation_id or cause.uuid
        return cls(correlation_id=correlation, causation_id=cause.uuid, **extra)


EMPTY_CONTEXT = Context()
"""Shared by every event without context (contexts are immutable)."""

NO_CONTEXT_JSON = "{}"
"""The stored context of an event appended without one, and of every snapshot."""


def context_from_json(text: str) -> Context:
    """A stored context; the empty one (most events have none) is shared, not parsed."""
    return EMPTY_CONTEXT if text == NO_CONTEXT_JSON else Context.model_validate_json(text)


Enricher = Callable[["Event", Context], Mapping[str, Any]]
"""Called for every appended event with its context; returns fields to add to it (a user
id, a request id). Fields the context already has are kept as they are."""


def enrich(context: Context, event: Event, enrichers: Sequence[Enricher]) -> Context:
    """``context`` plus what the enrichers add, the context's own fields winning."""
    added: dict[str, Any] = {}
    for enricher in enrichers:
        fields = enricher(event, context)
        if not isinstance(fields, Mapping):
            raise TypeError(f"enricher {enricher!r} returned {fields!r}, not a mapping")
        added.update(fields)
    if not added:
        return context
    own = context.model_dump(exclude_unset=True)
    return Context.model_validate({**added, **own})
