"""What the benchmark prints: the machine header and the table of rates.

Each row's rate is per second in the row's unit: events (``ev/s``) for the append,
load and writers workloads, whole aggregate rebuilds (``rebuilds/s``) for the rebuild
ones, outbox entries delivered (``entries/s``) for the outbox ones. Ratios are ``ours /
other`` in that unit, so above 1.00x means ours is faster, and ``ours/raw`` says how
much of the raw driver's speed ours keeps. The latency row shows p50 / p99 milliseconds
instead, and its ratio is ``other p50 / ours p50``, so that there too above 1.00x means
ours is faster.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.implementations import Implementation
from benchmarks.workloads import lower_is_better, unit


@dataclass(frozen=True)
class Cell:
    """The best result of one implementation on one row, why there is none, or
    ``missing``: the row is not run for it (no counterpart, or not on that backend).

    ``value`` is the rate (per second, in the row's unit), or on the latency row the
    p50 in milliseconds, with the p99 in ``p99``."""

    value: float | None = None
    p99: float | None = None
    error: str | None = None
    missing: bool = False

    def beats(self, other: Cell | None, workload: str) -> bool:
        """Whether this result is better than ``other`` (none or failed: always)."""
        if self.value is None:
            return False
        if other is None or other.value is None:
            return True
        if lower_is_better(workload):
            return self.value < other.value
        return self.value > other.value


def machine_lines(postgres: str | None, broker: str | None = None) -> list[str]:
    """CPU count, OS, Python, SQLite and (if reachable) the PostgreSQL server and the
    RabbitMQ broker."""
    lines = [
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    ]
    if postgres:
        lines.append(f"server:  {postgres}")
    if broker:
        lines.append(f"broker:  {broker}")
    return lines


def versions_line(implementation: Implementation, python: Path) -> str:
    """The versions of the distributions an implementation runs on, as its venv has them."""
    probe = (
        "import importlib.metadata as m, json, sys\n"
        "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    )
    command = [str(python), "-I", "-c", probe, *implementation.shows]  # -I: not the cwd's
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        return f"  {implementation.label}: versions unavailable"
    found: dict[str, str] = json.loads(done.stdout)
    listed = ", ".join(f"{name} {version}" for name, version in found.items())
    return f"  {implementation.label}: {listed} ({python.parent.parent})"


def table(
    rows: Sequence[tuple[str, str]],
    implementations: Sequence[Implementation],
    cells: Mapping[tuple[str, str, str], Cell],
) -> str:
    """One line per (backend, workload): its unit, ours, then each other's rate and
    ours/other."""
    ours, *others = implementations
    header = ["backend", "workload", "unit", ours.label]
    for other in others:
        header += [other.label, f"{ours.key}/{other.key}"]
    lines = [header]
    for backend, workload in rows:
        mine = cells[backend, workload, ours.key]
        line = [backend, workload, unit(workload, backend), _shown(mine)]
        for other in others:
            theirs = cells[backend, workload, other.key]
            line += [_shown(theirs), ratio(mine, theirs, workload)]
        lines.append(line)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    rendered = [_render(line, widths) for line in lines]
    rendered.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(rendered)


def format_rate(rate: float) -> str:
    """Whole numbers from 100 up, one decimal below (slow rebuilds run at a few per second)."""
    return f"{rate:,.0f}" if rate >= 100 else f"{rate:.1f}"


def format_latency(p50: float, p99: float | None) -> str:
    """Milliseconds with one decimal: ``p50 / p99``."""
    return f"{p50:.1f}" if p99 is None else f"{p50:.1f} / {p99:.1f}"


def ratio(mine: Cell, theirs: Cell, workload: str) -> str:
    """How many times faster ours is: ``ours / other`` for rates, ``other / ours`` for
    latencies; ``-`` when either is missing."""
    if not mine.value or not theirs.value:
        return "-"
    if lower_is_better(workload):
        return f"{theirs.value / mine.value:.2f}x"
    return f"{mine.value / theirs.value:.2f}x"


def _shown(cell: Cell) -> str:
    if cell.missing:
        return "n/a"
    if cell.value is None:
        return "error"
    return format_rate(cell.value) if cell.p99 is None else format_latency(cell.value, cell.p99)


def _render(line: Sequence[str], widths: Sequence[int]) -> str:
    """Text columns left-aligned, numbers right-aligned."""
    return " | ".join(
        cell.ljust(width) if index < 3 else cell.rjust(width)
        for index, (cell, width) in enumerate(zip(line, widths, strict=True))
    )
