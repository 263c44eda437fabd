"""Lines under the table: how the writers rows scale, and the issue's targets.

Scaling is each implementation's ``writers-N`` rate divided by its ``writers-1`` rate
on PostgreSQL (1.00x: more writers add nothing). The targets are the ones the
concurrency and subscription work was given: ours at 8 writers at least twice ours at
one, ours ahead of eventsourcing at 8 writers, and a subscriber's p50 latency on
PostgreSQL (LISTEN/NOTIFY) under 50 ms; and the one the outbox work was given: ours at
least twice python-event-sourcery's rate with one relay (``outbox-1``), on SQLite and on
PostgreSQL, with our audit trail on. A line appears only when its rows were run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from benchmarks.implementations import Implementation
from benchmarks.report import Cell
from benchmarks.workloads import LATENCY, OUTBOX, WRITERS

SCALING_TARGET = 2.0
LATENCY_TARGET_MS = 50.0
OUTBOX_TARGET = 2.0
BACKEND = "postgres"

Cells = Mapping[tuple[str, str, str], Cell]


def scaling_lines(
    rows: Sequence[tuple[str, str]], implementations: Sequence[Implementation], cells: Cells
) -> list[str]:
    """Per implementation: its rate at N writers over its rate at one."""
    more = [w for w in WRITERS[1:] if (BACKEND, w) in rows]
    if (BACKEND, WRITERS[0]) not in rows or not more:
        return []
    lines = [f"scaling on {BACKEND} (ev/s at N writers / at 1 writer):"]
    for implementation in implementations:
        ratios = [f"{w} {_scaling(cells, implementation.key, w)}" for w in more]
        if any(not r.endswith(" -") for r in ratios):
            lines.append(f"  {implementation.label}: {', '.join(ratios)}")
    return lines


def target_lines(rows: Sequence[tuple[str, str]], cells: Cells) -> list[str]:
    """Each target whose rows were run: the figure and whether it is met."""
    lines: list[str] = []
    first, last = WRITERS[0], WRITERS[-1]
    if (BACKEND, first) in rows and (BACKEND, last) in rows:
        figure = _ratio(cells, (last, "ours"), (first, "ours"))
        label = f"ours {last} >= {SCALING_TARGET:.2f}x ours {first}"
        lines.append(_target(label, figure, SCALING_TARGET))
    if (BACKEND, last) in rows:
        figure = _ratio(cells, (last, "ours"), (last, "eventsourcing"))
        label = f"ours/eventsourcing at {last} > 1.00x"
        lines.append(_target(label, figure, 1.0, strictly=True))
    if (BACKEND, LATENCY) in rows:
        p50 = cells[BACKEND, LATENCY, "ours"].value
        met = None if p50 is None else p50 < LATENCY_TARGET_MS
        shown = "-" if p50 is None else f"{p50:.1f} ms"
        lines.append(_verdict(f"ours latency p50 < {LATENCY_TARGET_MS:.0f} ms", shown, met))
    relay = OUTBOX[0]
    for backend in ("sqlite", "postgres"):
        if (backend, relay) in rows:
            figure = _ratio(cells, (relay, "ours"), (relay, "pes"), backend)
            label = f"ours/pes at {relay} on {backend} >= {OUTBOX_TARGET:.2f}x"
            lines.append(_target(label, figure, OUTBOX_TARGET))
    return ["targets:", *lines] if lines else []


def _scaling(cells: Cells, key: str, workload: str) -> str:
    figure = _ratio(cells, (workload, key), (WRITERS[0], key))
    return "-" if figure is None else f"{figure:.2f}x"


def _ratio(
    cells: Cells, top: tuple[str, str], bottom: tuple[str, str], backend: str = BACKEND
) -> float | None:
    """The rate of ``top`` over that of ``bottom``, each a (workload, implementation key)
    on ``backend``; None when either is missing."""
    numerator = cells.get((backend, *top), Cell()).value
    denominator = cells.get((backend, *bottom), Cell()).value
    return None if not numerator or not denominator else numerator / denominator


def _target(label: str, figure: float | None, threshold: float, *, strictly: bool = False) -> str:
    if figure is None:
        return _verdict(label, "-", None)
    met = figure > threshold if strictly else figure >= threshold
    return _verdict(label, f"{figure:.2f}x", met)


def _verdict(label: str, shown: str, met: bool | None) -> str:
    outcome = "not measured" if met is None else ("met" if met else "MISSED")
    return f"  {label}: {shown} ({outcome})"
