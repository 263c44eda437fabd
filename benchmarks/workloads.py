"""The workloads' names, what their results count and where they run.

The runners' ``_harness`` (stdlib only, run in other venvs) defines the same names;
``--workload`` there and here must agree.
"""

from __future__ import annotations

EVENT_WORKLOADS = ("single", "batch", "load")
"""Rates in events per second."""
REBUILDS = ("rebuild", "rebuild-snap")
"""Rates in whole aggregate rebuilds per second."""
WRITERS = ("writers-1", "writers-4", "writers-8")
"""Rates in events per second, of N writer processes together (PostgreSQL only)."""
LATENCY = "latency"
"""Milliseconds from an append returning to a subscriber holding the event: p50, p99."""
WORKLOADS = EVENT_WORKLOADS + REBUILDS + WRITERS + (LATENCY,)

POSTGRES_ONLY = WRITERS
"""SQLite lets one writer in at a time: concurrent writers are a PostgreSQL question."""
SQLITE_POLL_INTERVAL = 0.05
"""How often our subscriber polls SQLite in the latency row (``_latency`` has the same)."""


def counted(workload: str) -> str:
    """What a workload's runners count (the ``unit`` of their result line)."""
    if workload == LATENCY:
        return "ms"
    return "rebuilds" if workload in REBUILDS else "events"


def unit(workload: str, backend: str) -> str:
    """The row's unit as the table shows it."""
    if workload == LATENCY:
        polls = f", polls {SQLITE_POLL_INTERVAL * 1000:.0f} ms" if backend == "sqlite" else ""
        return f"ms p50 / p99{polls}"
    return "rebuilds/s" if workload in REBUILDS else "ev/s"


def lower_is_better(workload: str) -> bool:
    """Latencies: the smaller the better; every other row is a rate."""
    return workload == LATENCY


def runs_on(backend: str, workload: str) -> bool:
    """Whether the row is measured on that backend at all (otherwise n/a throughout)."""
    return backend == "postgres" or workload not in POSTGRES_ONLY
