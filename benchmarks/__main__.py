"""``python -m benchmarks``: events/s, rebuilds/s, subscriber latency and outbox
entries/s of ours, two peer libraries and raw drivers.

Options: ``--only NAME`` with a backend (``sqlite``, ``postgres``) or a workload
(``single``, ``batch``, ``load``, ``rebuild``, ``rebuild-snap``, ``writers-1``,
``writers-4``, ``writers-8``, ``latency``, ``outbox-1``, ``outbox-4``,
``outbox-rabbitmq``), repeatable: only those rows (``--only sqlite --only rebuild
--only rebuild-snap``); ``--repeat N`` (best of N, default 3); ``--skip-peers`` (only
ours and raw; no venvs are created).
The PostgreSQL URL comes from ``EVENT_SOURCERY_POSTGRES_URL``, the RabbitMQ one from
``EVENT_SOURCERY_RABBITMQ_URL``; when either cannot be reached, a line says so and its
rows are left out.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from benchmarks.broker import DEFAULT_URL as DEFAULT_RABBITMQ_URL
from benchmarks.broker import rabbitmq_broker
from benchmarks.goals import scaling_lines, target_lines
from benchmarks.implementations import implementations, repo_python
from benchmarks.report import machine_lines, table, versions_line
from benchmarks.suite import run_all
from benchmarks.targets import display_url, postgres_server
from benchmarks.venvs import peer_python
from benchmarks.workloads import LATENCY, RABBITMQ, WORKLOADS, runs_on

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres")


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line described in the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        choices=BACKENDS + WORKLOADS,
        default=[],
        help="only this backend or workload (repeat the option to add more)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    parser.add_argument("--skip-peers", action="store_true", help="only ours and raw")
    arguments = parser.parse_args(argv)
    if arguments.repeat < 1:
        parser.error("--repeat must be at least 1")
    return arguments


def main(argv: list[str] | None = None) -> int:
    """Set up, measure every row, print the header and the table."""
    arguments = parse_arguments(argv)
    started = time.perf_counter()
    chosen = [i for i in implementations() if not (arguments.skip_peers and i.is_peer)]
    pythons: dict[str, Path] = {
        i.key: peer_python(i) if i.is_peer else repo_python() for i in chosen
    }
    backends = [b for b in BACKENDS if b in arguments.only] or list(BACKENDS)
    workloads = [w for w in WORKLOADS if w in arguments.only] or list(WORKLOADS)
    postgres_url = os.environ.get("EVENT_SOURCERY_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    server = _postgres(postgres_url) if "postgres" in backends else None
    if server is None and "postgres" in backends:
        backends.remove("postgres")
    amqp_url = os.environ.get("EVENT_SOURCERY_RABBITMQ_URL", DEFAULT_RABBITMQ_URL)
    broker = None
    if RABBITMQ in workloads and any(runs_on(b, RABBITMQ) for b in backends):
        broker = _rabbitmq(amqp_url)
        if broker is None:
            workloads.remove(RABBITMQ)
    rows = [(backend, workload) for backend in backends for workload in workloads]
    cells = run_all(rows, chosen, pythons, postgres_url, arguments.repeat, amqp_url=amqp_url)
    print("\n".join(machine_lines(server, broker)))
    print("versions:")
    print("\n".join(versions_line(i, pythons[i.key]) for i in chosen))
    latency = " (latency: p50 / p99 ms, ratio other p50 / ours)" if LATENCY in workloads else ""
    print(
        f"best of {arguments.repeat} run(s); rates per second in the row's unit; "
        f"ratios are ours / other{latency} (above 1.00x ours is faster)\n"
    )
    print(table(rows, chosen, cells))
    if any(cell.missing for cell in cells.values()):
        print("n/a: not run there (no counterpart, or PostgreSQL only; see benchmarks/README.md)")
    notes = scaling_lines(rows, chosen, cells) + target_lines(rows, cells)
    if notes:
        print("\n" + "\n".join(notes))
    failures = [(key, cell.error) for key, cell in cells.items() if cell.error is not None]
    for (backend, workload, key), error in failures:
        print(f"error: {key} on {backend}/{workload}: {error}")
    print(f"\ntotal time: {time.perf_counter() - started:.0f}s")
    return 1 if failures else 0


def _postgres(url: str) -> str | None:
    """Describe the PostgreSQL server, or say why its rows are skipped and return None."""
    found = postgres_server(url)
    if isinstance(found, Exception):
        reason = " ".join(str(found).split())
        print(f"PostgreSQL unreachable at {display_url(url)}: skipping its rows ({reason})")
        return None
    return f"{found} at {display_url(url)}"


def _rabbitmq(url: str) -> str | None:
    """Describe the RabbitMQ broker, or say why its row is skipped and return None."""
    found = rabbitmq_broker(url)
    if isinstance(found, Exception):
        reason = " ".join(str(found).split()) or repr(found)
        print(f"RabbitMQ unreachable at {display_url(url)}: skipping its row ({reason})")
        return None
    return f"{found} at {display_url(url)}"


if __name__ == "__main__":
    sys.exit(main())
