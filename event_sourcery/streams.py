"""Stream identity: a uuid, an optional name that determines it, an optional category."""

from __future__ import annotations

from uuid import UUID, uuid4, uuid5

from event_sourcery.errors import InvalidStreamId
from event_sourcery.quoting import quoted

# Names map to uuids through uuid5 in this namespace, so a name always reaches one stream.
STREAM_NAMESPACE = UUID("5b0a2a52-7c6e-4f0e-9a3c-0e1d7a3f6b21")

MAX_NAME_BYTES = 1024
"""A stream name's limit in UTF-8 bytes: PostgreSQL indexes (name, category), and an index
entry cannot exceed 2704 bytes (it cannot always be compressed); every backend refuses
what PostgreSQL would, so that a name that works on one works on all."""
MAX_CATEGORY_CHARS = 255
"""A category's limit in characters: the width of the category columns."""


class StreamId:
    """Identifies a stream: ``uuid`` plus ``category``; ``name`` is a readable alias.

    ``StreamId(name="order-42")`` always gives the same uuid. The same uuid in two
    categories is two streams.
    """

    __slots__ = ("category", "name", "uuid")

    uuid: UUID
    name: str | None
    category: str | None

    def __init__(
        self,
        uuid: UUID | None = None,
        *,
        name: str | None = None,
        category: str | None = None,
    ) -> None:
        if uuid is not None and not isinstance(uuid, UUID):
            raise InvalidStreamId(f"StreamId uuid must be a uuid.UUID, not {type(uuid).__name__}")
        for label, text in (("name", name), ("category", category)):
            if text is not None:
                _check_text(label, text)
        if uuid is None:
            uuid = uuid5(STREAM_NAMESPACE, name) if name is not None else uuid4()
        object.__setattr__(self, "uuid", uuid)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "category", category)

    @classmethod
    def of(cls, value: UUID | StreamId) -> StreamId:
        """Turn what callers pass as ``stream_id`` into a StreamId, refusing a name or
        category too long to store (``MAX_NAME_BYTES``, ``MAX_CATEGORY_CHARS``): checked
        here, where the store takes stream ids, rather than in ``__init__``, so that
        rows an earlier version stored with longer ones still read."""
        if isinstance(value, StreamId):
            _check_size(value)
            return value
        if isinstance(value, UUID):
            return cls(value)
        raise InvalidStreamId(f"stream_id={value!r} ({type(value).__name__}) is not a stream id")

    @classmethod
    def to_append(cls, value: UUID | StreamId) -> StreamId:
        """``of``, and the checks of ``__init__`` again: an append may create the stream,
        and a StreamId taken from a row (``stored``) was never checked."""
        stream = cls.of(value)
        for label, text in (("name", stream.name), ("category", stream.category)):
            if text is not None:
                _check_text(label, text)
        return stream

    @classmethod
    def stored(cls, uuid: UUID, name: str | None, category: str | None) -> StreamId:
        """The stream id a stored row holds, taken as it is: no check of the name or
        category (those are for what callers pass), so that a row another tool wrote (an
        empty name, a NUL, a name too long) still lists, loads and reads."""
        stream = object.__new__(cls)
        object.__setattr__(stream, "uuid", uuid)
        object.__setattr__(stream, "name", name)
        object.__setattr__(stream, "category", category)
        return stream

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError("StreamId is immutable")

    def __reduce__(self) -> tuple[object, tuple[UUID, str | None, str | None]]:
        return (_restore, (self.uuid, self.name, self.category))

    def __copy__(self) -> StreamId:
        return self

    def __deepcopy__(self, memo: object) -> StreamId:
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StreamId):
            return NotImplemented
        return self.uuid == other.uuid and self.category == other.category

    def __hash__(self) -> int:
        return hash((self.uuid, self.category))

    def __repr__(self) -> str:
        parts = [f"uuid={str(self.uuid)!r}"]
        if self.name is not None:
            parts.append(f"name={self.name!r}")
        if self.category is not None:
            parts.append(f"category={self.category!r}")
        return f"StreamId({', '.join(parts)})"

    def __str__(self) -> str:
        label = self.name if self.name is not None else str(self.uuid)
        return f"{self.category}/{label}" if self.category is not None else label


def _check_text(label: str, text: object) -> None:
    """Refuse a name or category that no backend can store or that cannot name a stream:
    not a str, empty, with NUL (PostgreSQL's text refuses it), with lone surrogates (not
    UTF-8). Checked on every StreamId, so that a hostile value fails at the edge and
    alike on every backend (its length: see ``StreamId.of``)."""
    if not isinstance(text, str):
        raise InvalidStreamId(f"StreamId {label} is a {type(text).__name__}, not a str")
    if not text:
        raise InvalidStreamId(f"StreamId {label} is empty")
    if "\x00" in text:
        raise InvalidStreamId(f"StreamId {label}={quoted(text)} holds a NUL character (\\x00)")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise InvalidStreamId(
            f"StreamId {label}={quoted(text)} holds a lone surrogate, which is not UTF-8"
        ) from None


def _check_size(stream: StreamId) -> None:
    """Refuse a name or category longer than the columns and index take."""
    name, category = stream.name, stream.category
    if name is not None and len(name) * 4 > MAX_NAME_BYTES:  # cheap test first
        size = len(name.encode())
        if size > MAX_NAME_BYTES:
            raise InvalidStreamId(
                f"StreamId name={quoted(name)} is {size} bytes long in UTF-8, over {MAX_NAME_BYTES}"
            )
    if category is not None and len(category) > MAX_CATEGORY_CHARS:
        raise InvalidStreamId(
            f"StreamId category={quoted(category)} is {len(category)} characters long, "
            f"over {MAX_CATEGORY_CHARS}"
        )


def _restore(uuid: UUID, name: str | None, category: str | None) -> StreamId:
    """Unpickle a StreamId (its attributes cannot be set one by one): as it was, checked
    or stored."""
    return StreamId.stored(uuid, name, category)
