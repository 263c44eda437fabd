"""What a decoding failure says: the row, and the class's own reason."""

from __future__ import annotations

from typing import ClassVar
from uuid import uuid4

import pytest
from pydantic import field_validator

from event_sourcery import Event, EventRegistry, UndecodableEvent, connect


class Reading(Event):
    __event_name__: ClassVar[str] = "decode.Reading"
    value: int


class PickyReading(Event):
    """Today's class for the same name: its validator raises a TypeError of its own."""

    __event_name__: ClassVar[str] = "decode.PickyReading"
    value: int

    @field_validator("value")
    @classmethod
    def _not_thirteen(cls, value: int) -> int:
        if value == 13:
            raise TypeError("thirteen is not a reading")
        return value


def test_a_type_error_of_the_classs_own_validator_is_told_as_it_is() -> None:
    stream = uuid4()
    with connect("memory://") as store:
        store.append(Reading(value=13), stream_id=stream)
        raws = store.load_stream_raw(stream)
    today = EventRegistry()
    today.add(PickyReading, "decode.Reading")  # the class the reader has now
    reader = connect("memory://", registry=today)
    with pytest.raises(UndecodableEvent, match="thirteen is not a reading") as caught:
        reader.decode(raws)
    assert "not JSON text" not in str(caught.value)
