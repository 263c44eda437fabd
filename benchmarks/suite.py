"""Run every runner on every (backend, workload) row and keep the best result.

Each measurement is a fresh subprocess against a fresh database (see
``targets``), so imports, caches and table sizes never carry over between
implementations. Repeats are interleaved (all rows, then all rows again) so slow
phases of a noisy machine spread over every implementation; the best of the
repeats is kept (the highest rate, or on the latency row the lowest p50 together with
that run's p99). A row an implementation ``lacks``, or a PostgreSQL-only row on
SQLite, is not run: its cell is n/a.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from benchmarks.implementations import Implementation
from benchmarks.report import Cell, format_latency, format_rate
from benchmarks.targets import fresh_target
from benchmarks.workloads import LATENCY, RABBITMQ, counted, runs_on, unit

RUN_TIMEOUT_SECONDS = 600


class RunFailed(Exception):
    """A runner exited with an error, timed out, or printed no result line."""


def run_once(
    python: Path,
    implementation: Implementation,
    backend: str,
    workload: str,
    postgres_url: str,
    *,
    amqp_url: str | None = None,
) -> Cell:
    """One runner invocation on a fresh database (and, for the broker row, a fresh
    exchange on ``amqp_url``); its rate (events, rebuilds or outbox entries per second,
    whichever the workload's unit is), or its p50 and p99 latency in ms."""
    label = f"{implementation.key}_{workload}"
    broker = amqp_url if workload == RABBITMQ else None
    with fresh_target(backend, postgres_url, label, broker) as target:
        command = [
            str(python),
            str(implementation.script),
            "--backend",
            backend,
            "--workload",
            workload,
            *target.arguments(),
        ]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        try:
            done = subprocess.run(
                command,
                check=False,
                capture_output=True,
                text=True,
                env=env,
                timeout=RUN_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired as error:
            raise RunFailed(f"timed out after {RUN_TIMEOUT_SECONDS}s") from error
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        raise RunFailed(tail[0])
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if result["unit"] != counted(workload):
            raise RunFailed(f"the runner counted {result['unit']}, not {counted(workload)}")
        if workload == LATENCY:
            return Cell(value=float(result["p50"]), p99=float(result["p99"]))
        return Cell(value=float(result["count"]) / float(result["seconds"]))
    except (IndexError, KeyError, ValueError, ZeroDivisionError) as error:
        raise RunFailed(f"no result line in output: {done.stdout[-200:]!r}") from error


def run_all(
    rows: Sequence[tuple[str, str]],
    implementations: Sequence[Implementation],
    pythons: Mapping[str, Path],
    postgres_url: str,
    repeat: int,
    *,
    amqp_url: str | None = None,
) -> dict[tuple[str, str, str], Cell]:
    """The best result of ``repeat`` runs for every row and implementation (the broker
    row publishes to ``amqp_url``)."""
    best: dict[tuple[str, str, str], Cell] = {}
    for round_number in range(1, repeat + 1):
        for backend, workload in rows:
            for implementation in implementations:
                key = (backend, workload, implementation.key)
                if not (runs_on(backend, workload) and implementation.has(backend, workload)):
                    best[key] = Cell(missing=True)
                    continue
                python = pythons[implementation.key]
                try:
                    cell = run_once(
                        python, implementation, backend, workload, postgres_url, amqp_url=amqp_url
                    )
                except RunFailed as error:
                    _progress(round_number, key, f"FAILED: {error}")
                    best.setdefault(key, Cell(error=str(error)))
                    continue
                _progress(round_number, key, f"{_outcome(cell)} {unit(workload, backend)}")
                if cell.beats(best.get(key), workload):
                    best[key] = cell
    return best


def _outcome(cell: Cell) -> str:
    assert cell.value is not None
    return format_rate(cell.value) if cell.p99 is None else format_latency(cell.value, cell.p99)


def _progress(round_number: int, key: tuple[str, str, str], outcome: str) -> None:
    """One line per measurement on stderr, so a long run shows it is alive."""
    backend, workload, implementation = key
    line = f"  [{round_number}] {backend:8} {workload:15} {implementation:13} {outcome}"
    print(line, file=sys.stderr)
