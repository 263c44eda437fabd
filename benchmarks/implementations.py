"""The four implementations compared, and which interpreter runs each one.

Ours and the raw-driver floor run in the repository venv (the interpreter that
runs ``python -m benchmarks``). The two peers run in venvs of their own under
``.bench/venvs/<name>``: python-event-sourcery imports as ``event_sourcery`` just
like our package, and 0.6.1 needs ``sqlalchemy<2.1`` while we use 2.1.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from benchmarks.workloads import REBUILDS

RUNNERS = Path(__file__).resolve().parent / "runners"


@dataclass(frozen=True)
class Implementation:
    """One column group of the table: a runner script and where it runs.

    ``key`` names the ratio column (``ours/pes``), ``label`` the rate column,
    ``requirements`` a peer's pip pins (empty: runs in the repo venv), ``shows``
    the distributions whose versions the header reports, and ``lacks`` the workloads
    it has no counterpart for (shown as n/a, never run).
    """

    key: str
    label: str
    runner: str
    requirements: tuple[str, ...] = ()
    shows: tuple[str, ...] = ("sqlalchemy", "pydantic", "psycopg")
    lacks: tuple[str, ...] = ()

    @property
    def is_peer(self) -> bool:
        """Peers are pip-installed into their own venv; ours and raw are not."""
        return bool(self.requirements)

    @property
    def script(self) -> Path:
        """The runner script's path."""
        return RUNNERS / self.runner


def _same_as_ours(distribution: str) -> str:
    """Pin a shared dependency to the version in our venv, so only the library differs."""
    return f"{distribution}=={metadata.version(distribution)}"


def implementations() -> list[Implementation]:
    """Ours first (every ratio divides by it), then the peers, then the raw floor.

    No rebuilds for python-event-sourcery 0.6.1 (its ``Repository`` only has the
    ``aggregate()`` unit of work, no read-only load and no snapshot policy) nor for
    raw (no aggregates)."""
    psycopg = _same_as_ours("psycopg")
    return [
        Implementation(
            "ours",
            "ours",
            "ours.py",
            shows=("python-event-sourcery", "sqlalchemy", "pydantic", "psycopg"),
        ),
        Implementation(
            "eventsourcing",
            "eventsourcing",
            "eventsourcing_runner.py",
            ("eventsourcing[postgres]==9.5.6", psycopg.replace("==", "[binary]==")),
            ("eventsourcing", "psycopg"),
        ),
        Implementation(
            "pes",
            "python-event-sourcery",
            "pes_runner.py",
            (
                "python-event-sourcery[sqlalchemy]==0.6.1",
                "sqlalchemy<2.1",
                _same_as_ours("pydantic"),
                psycopg.replace("==", "[binary]=="),
            ),
            ("python-event-sourcery", "sqlalchemy", "pydantic", "psycopg"),
            lacks=REBUILDS,
        ),
        Implementation("raw", "raw", "raw.py", shows=("pydantic", "psycopg"), lacks=REBUILDS),
    ]


def repo_python() -> Path:
    """The interpreter that runs ours and raw: the one running the orchestrator."""
    return Path(sys.executable)
