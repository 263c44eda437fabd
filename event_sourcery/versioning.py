"""Expected versions: what a writer believes about a stream before appending to it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeGuard

from event_sourcery.errors import InvalidExpectedVersion


class Versioning(enum.Enum):
    """The two expected versions that are not a number."""

    ANY = "ANY"
    """Append at the end, whatever the version is (atomically)."""
    NO_VERSIONING = "NO_VERSIONING"
    """The stream keeps no versions at all."""

    def __repr__(self) -> str:
        return self.value


MAX_VERSION = 2**63 - 1
"""Versions are stored as 64-bit integers."""


def is_whole(value: object, minimum: int = 0) -> TypeGuard[int]:
    """True for an int (not a bool) of at least ``minimum``: a version, position, count."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


ANY = Versioning.ANY
NO_VERSIONING = Versioning.NO_VERSIONING


@dataclass(frozen=True, slots=True)
class ExpectedVersion:
    """An expected version checked at the edge, as storage receives it."""

    exact: int | None = None
    """The stream must be at exactly this version (0: must not exist); None: ANY/NO_VERSIONING."""
    versioned: bool = True
    """False for NO_VERSIONING streams."""

    @classmethod
    def of(cls, value: int | Versioning) -> ExpectedVersion:
        if value is Versioning.ANY:
            return cls()
        if value is Versioning.NO_VERSIONING:
            return cls(versioned=False)
        if is_whole(value) and value <= MAX_VERSION:
            return cls(exact=value)
        raise InvalidExpectedVersion(value)
