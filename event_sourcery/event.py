"""The ``Event`` base class: pydantic models that register themselves by name."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from event_sourcery.registry import default_registry


class Event(BaseModel):
    """Base class of every event. Subclasses register under their class name, or under
    ``__event_name__`` when they set one. Unknown fields are rejected; events are immutable."""

    # NaN and infinities are stored as the JSON strings "NaN", "Infinity", "-Infinity"
    # (JSON has no such numbers) and come back as floats.
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")

    __event_name__: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__pydantic_generic_metadata__["origin"] is None:
            default_registry.add(cls, event_name(cls))


def event_name(cls: type[Event]) -> str:
    """The name stored with ``cls``'s events: its own ``__event_name__`` or its class name."""
    own = cls.__dict__.get("__event_name__")
    return own if isinstance(own, str) else cls.__name__
