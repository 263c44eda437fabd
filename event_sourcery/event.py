"""The ``Event`` base class: pydantic models that register themselves by name."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from event_sourcery.errors import InvalidUpcaster
from event_sourcery.registry import default_registry
from event_sourcery.versioning import is_whole


class Event(BaseModel):
    """Base class of every event. Subclasses register under their class name, or under
    ``__event_name__`` when they set one. Unknown fields are rejected; events are immutable.

    ``__schema_version__`` (default 1) is stored with every event; raise it when the payload
    changes shape and register an upcaster from the previous version.
    """

    # NaN and infinities are stored as the JSON strings "NaN", "Infinity", "-Infinity"
    # (JSON has no such numbers) and come back as floats.
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")

    __event_name__: ClassVar[str]
    __schema_version__: ClassVar[int] = 1

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        version = cls.__schema_version__
        if not is_whole(version, 1):
            raise InvalidUpcaster(
                event_name(cls), f"__schema_version__ = {version!r} is not an int >= 1"
            )
        if cls.__pydantic_generic_metadata__["origin"] is None:
            default_registry.add(cls, event_name(cls))


def event_name(cls: type[Event]) -> str:
    """The name stored with ``cls``'s events: its own ``__event_name__`` or its class name."""
    own = cls.__dict__.get("__event_name__")
    return own if isinstance(own, str) else cls.__name__
