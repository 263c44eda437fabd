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
OUTBOX = ("outbox-1", "outbox-4", "outbox-rabbitmq")
"""Rates in outbox entries delivered per second: 1 relay, 4 relay processes, 1 relay
publishing to RabbitMQ."""
RABBITMQ = "outbox-rabbitmq"
"""The one row that needs a broker; left out when it cannot be reached."""
WORKLOADS = EVENT_WORKLOADS + REBUILDS + WRITERS + (LATENCY,) + OUTBOX

POSTGRES_ONLY = (*WRITERS, "outbox-4", RABBITMQ)
"""SQLite lets one writer in at a time: concurrent writers (and relays) are a PostgreSQL
question; the broker row needs only one backend, and PostgreSQL is the one apps deploy."""
SQLITE_POLL_INTERVAL = 0.05
"""How often our subscriber polls SQLite in the latency row (``_latency`` has the same)."""


def counted(workload: str) -> str:
    """What a workload's runners count (the ``unit`` of their result line)."""
    if workload == LATENCY:
        return "ms"
    if workload in OUTBOX:
        return "entries"
    return "rebuilds" if workload in REBUILDS else "events"


def unit(workload: str, backend: str) -> str:
    """The row's unit as the table shows it."""
    if workload == LATENCY:
        polls = f", polls {SQLITE_POLL_INTERVAL * 1000:.0f} ms" if backend == "sqlite" else ""
        return f"ms p50 / p99{polls}"
    if workload in OUTBOX:
        return "entries/s"
    return "rebuilds/s" if workload in REBUILDS else "ev/s"


def lower_is_better(workload: str) -> bool:
    """Latencies: the smaller the better; every other row is a rate."""
    return workload == LATENCY


def runs_on(backend: str, workload: str) -> bool:
    """Whether the row is measured on that backend at all (otherwise n/a throughout)."""
    return backend == "postgres" or workload not in POSTGRES_ONLY
