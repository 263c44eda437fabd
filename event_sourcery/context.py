"""Context travelling with every event: correlation and causation ids plus free extras."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict


class Context(BaseModel):
    """Why an event happened: ``correlation_id`` groups a conversation, ``causation_id``
    names the event or command that caused this one; any other field is kept as given."""

    model_config = ConfigDict(extra="allow", frozen=True)

    correlation_id: UUID | None = None
    causation_id: UUID | None = None


EMPTY_CONTEXT = Context()
"""Shared by every event without context (contexts are immutable)."""
