"""A projection's unit of work: its checkpoint and its own writes, committed together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class CheckpointUnit:
    """One transaction of a projection: ``session`` (a SQLAlchemy Session on the SQL
    backends, None in memory) for the projection's own writes, and ``position``, the
    checkpoint, which is stored with them when the unit ends without an error."""

    name: str
    position: int
    session: Any = None
