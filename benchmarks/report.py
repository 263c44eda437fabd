"""What the benchmark prints: the machine header and the events-per-second table.

Ratios are ``ours / other`` in events per second, so above 1.00x means ours is
faster, and ``ours/raw`` says how much of the raw driver's speed ours keeps.
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


@dataclass(frozen=True)
class Cell:
    """The best result of one implementation on one row, or why there is none."""

    events_per_second: float | None = None
    error: str | None = None


def machine_lines(postgres: str | None) -> list[str]:
    """CPU count, OS, Python, SQLite and (if reachable) the PostgreSQL server."""
    lines = [
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    ]
    if postgres:
        lines.append(f"server:  {postgres}")
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
    """One line per (backend, workload): ours, then each other's ev/s and ours/other."""
    ours, *others = implementations
    header = ["backend", "workload", f"{ours.label} ev/s"]
    for other in others:
        header += [f"{other.label} ev/s", f"{ours.key}/{other.key}"]
    lines = [header]
    for backend, workload in rows:
        mine = cells[backend, workload, ours.key]
        line = [backend, workload, _rate(mine)]
        for other in others:
            theirs = cells[backend, workload, other.key]
            line += [_rate(theirs), _ratio(mine, theirs)]
        lines.append(line)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    rendered = [_render(line, widths) for line in lines]
    rendered.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(rendered)


def _rate(cell: Cell) -> str:
    return "error" if cell.events_per_second is None else f"{cell.events_per_second:,.0f}"


def _ratio(mine: Cell, theirs: Cell) -> str:
    if mine.events_per_second is None or theirs.events_per_second is None:
        return "-"
    return f"{mine.events_per_second / theirs.events_per_second:.2f}x"


def _render(line: Sequence[str], widths: Sequence[int]) -> str:
    """Text columns left-aligned, numbers right-aligned."""
    return " | ".join(
        cell.ljust(width) if index < 2 else cell.rjust(width)
        for index, (cell, width) in enumerate(zip(line, widths, strict=True))
    )
