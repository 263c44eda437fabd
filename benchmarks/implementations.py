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

from benchmarks.workloads import LATENCY, OUTBOX, RABBITMQ, REBUILDS, WRITERS

RUNNERS = Path(__file__).resolve().parent / "runners"


@dataclass(frozen=True)
class Implementation:
    """One column group of the table: a runner script and where it runs.

    ``key`` names the ratio column (``ours/pes``), ``label`` the rate column,
    ``requirements`` a peer's pip pins (empty: runs in the repo venv), ``shows``
    the distributions whose versions the header reports, and ``lacks`` the rows it is
    not run on (shown as n/a): a workload on every backend, or ``backend/workload``.
    """

    key: str
    label: str
    runner: str
    requirements: tuple[str, ...] = ()
    shows: tuple[str, ...] = ("sqlalchemy", "pydantic", "psycopg")
    lacks: tuple[str, ...] = ()

    def has(self, backend: str, workload: str) -> bool:
        """Whether this implementation is run on the row."""
        return workload not in self.lacks and f"{backend}/{workload}" not in self.lacks

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
    raw (no aggregates). No latency for raw (no subscriptions), python-event-sourcery
    (its SQLAlchemy subscription polls, and waits out a timebox of at least 0.1 s for
    a batch that is not full) or eventsourcing on SQLite (its SQLite recorder has no
    subscriptions). python-event-sourcery is not run on the writers rows: at 100-150
    appends a second whatever the number of writers, one writers-8 run takes about a minute.
    Outbox rows: only ours and python-event-sourcery have an outbox, and only ours a
    RabbitMQ publisher.
    """
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
            lacks=(f"sqlite/{LATENCY}", *OUTBOX),
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
            lacks=(*REBUILDS, *WRITERS, LATENCY, RABBITMQ),
        ),
        Implementation(
            "raw",
            "raw",
            "raw.py",
            shows=("pydantic", "psycopg"),
            lacks=(*REBUILDS, LATENCY, *OUTBOX),
        ),
    ]


def repo_python() -> Path:
    """The interpreter that runs ours and raw: the one running the orchestrator."""
    return Path(sys.executable)
