"""What the workbench rows print: the events-frame table, the time-travel figures and
the ``targets:`` block (each figure with ``met`` or ``MISSED``)."""

from __future__ import annotations

from typing import Any

from benchmarks.workbench_rows.dashboard import EventsRow, StepRow
from benchmarks.workbench_rows.runs import FramePath

SPEED_TARGET = 3.0
"""The events frame: ours at least this many times faster than the naive path."""
MEMORY_TARGET = 1.0
"""The events frame: ours' peak memory growth at most this share of the naive path's."""
JUMP_TARGET = 50.0
"""Time travel: a jump at least this many times faster than replaying from the start."""


def frame_lines(ours: FramePath, naive: FramePath, differences: list[str]) -> list[str]:
    """Seconds, peak RSS growth and rows of both paths, the ratios, and whether the
    frames agree."""
    header = ["path", "what is timed", "seconds", "peak RSS growth MB", "rows"]
    lines = [
        header,
        ["ours", "Workbench(store).events(progress=False)", *_figures(ours)],
        ["naive", "read_all in chunks, model_dump, json_normalize", *_figures(naive)],
        ["ratio", "naive / ours", _times(speed(ours, naive)), _times(memory(ours, naive)), ""],
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    table = [
        " | ".join(
            cell.ljust(width) if index < 2 else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    ]
    table.insert(1, "-+-".join("-" * width for width in widths))
    if differences:
        agree = ["  same rows: NO", *(f"    {line}" for line in differences)]
    else:
        agree = [f"  same rows: yes ({ours.rows:,} rows; row count, data.* columns and the"]
        agree.append("    checked columns equal value by value)")
    return [f"  {line}" for line in table] + agree


def jump_lines(result: dict[str, Any], checkpoint_every: int) -> list[str]:
    """One-off costs, per-jump times, the ratio and whether the states agree."""
    per_jump, per_replay = _per_jump(result), _per_replay(result)
    replays, jumps = result["replays"], result["jumps"]
    scaled = "" if replays == jumps else " of the same versions, scaled per jump"
    lines = [
        f"  load and decode the stream (wb.timeline):  {result['load_seconds']:.2f} s, one-off",
        f"  checkpoints every {checkpoint_every} (the first at()):  "
        f"{result['build_seconds']:.2f} s, one-off",
        f"  Timeline.at(v):  {per_jump * 1000:.3f} ms per jump "
        f"({jumps:,} jumps in {result['jump_seconds']:.2f} s)",
        f"  replay from the start:  {per_replay * 1000:.1f} ms per jump "
        f"({replays:,} replays{scaled}, mean version {result['mean_version']:,.0f}, "
        f"in {result['replay_seconds']:.1f} s)",
        f"  ratio (replay / at):  {_times(jump_ratio(result))}",
    ]
    wrong = result["mismatched"]
    if wrong:
        lines.append(f"  same states: NO (versions {', '.join(map(str, wrong))})")
    else:
        lines.append(f"  same states: yes (the {replays:,} replayed versions)")
    return lines


def dashboard_lines(row: EventsRow) -> list[str]:
    """The Events view's figures: opening the dashboard, the first page, server memory."""
    return [
        f"  open the dashboard (navigation start to the Overview rendered):  "
        f"{row.open_seconds:.2f} s",
        f"  Events tab clicked -> its first page rendered:  {row.events_seconds:.2f} s "
        f"({row.status})",
        f"  server: {row.startup_rss_mb:,.0f} MB resident once listening; peak growth "
        f"{row.peak_growth_mb:,.0f} MB by the Events page "
        f"({row.overview_growth_mb:,.0f} MB of it by the Overview)",
    ]


def step_lines(row: StepRow) -> list[str]:
    """The time-travel figures: picking the stream (one-off) and the steps."""
    return [
        f"  shown: {row.title}",
        f"  stream picked -> its last version rendered:  {row.pick_seconds:.2f} s, one-off "
        f"(server peak growth {row.peak_growth_mb:,.0f} MB by the end of the steps)",
        f"  step (ArrowLeft on the slider -> state and event of the new version rendered):  "
        f"best {row.best_ms:.0f} ms, median {row.median_ms:.0f} ms ({len(row.steps_ms)} steps)",
    ]


def target_lines(
    frames: tuple[FramePath, FramePath] | None,
    jumps: dict[str, Any] | None,
    served: tuple[EventsRow, StepRow, int] | None = None,
) -> list[str]:
    """The targets whose rows were run, each with its figure and met / MISSED; for the
    dashboard (no numeric target) the server's growth against the frame of the whole
    store."""
    lines = []
    if frames is not None:
        ours, naive = frames
        lines.append(
            _verdict(
                f"events frame: ours >= {SPEED_TARGET:.2f}x as fast as naive",
                speed(ours, naive),
                lambda figure: figure >= SPEED_TARGET,
            )
        )
        mb = [_megabytes(path.peak_growth_mb) for path in (ours, naive)]
        lines.append(
            _verdict(
                f"events frame: ours' peak growth <= naive's ({mb[0]} vs {mb[1]} MB; "
                "naive / ours >= 1.00x)",
                memory(ours, naive),
                lambda figure: figure >= MEMORY_TARGET,
            )
        )
    if jumps is not None:
        lines.append(
            _verdict(
                f"time travel: Timeline.at >= {JUMP_TARGET:.0f}x as fast as a replay",
                jump_ratio(jumps),
                lambda figure: figure >= JUMP_TARGET,
            )
        )
    if served is not None:
        lines.append(_first_page_line(served[0].peak_growth_mb, frames, served[2]))
    return ["targets:", *lines] if lines else []


def _first_page_line(growth: float, frames: tuple[FramePath, FramePath] | None, size: int) -> str:
    label = "dashboard: first page did not load the store: server peak growth"
    whole = None if frames is None else frames[0].peak_growth_mb
    if whole is None:
        return (
            f"  {label} {growth:,.0f} MB (the store is {size / 2**20:,.0f} MB on disk; "
            "frame row not run to compare)"
        )
    met = "met" if growth < whole else "MISSED"
    return f"  {label} {growth:,.0f} MB < frame-of-whole-store {whole:,.0f} MB ({met})"


def speed(ours: FramePath, naive: FramePath) -> float | None:
    """How many times faster ours is: naive's seconds over ours'."""
    return naive.seconds / ours.seconds if ours.seconds else None


def memory(ours: FramePath, naive: FramePath) -> float | None:
    """Naive's peak growth over ours' (above 1.00x ours needs less)."""
    if ours.peak_growth_mb is None or naive.peak_growth_mb is None or ours.peak_growth_mb <= 0:
        return None
    return naive.peak_growth_mb / ours.peak_growth_mb


def jump_ratio(result: dict[str, Any]) -> float | None:
    per_jump = _per_jump(result)
    return _per_replay(result) / per_jump if per_jump else None


def _per_jump(result: dict[str, Any]) -> float:
    return float(result["jump_seconds"]) / result["jumps"]


def _per_replay(result: dict[str, Any]) -> float:
    return float(result["replay_seconds"]) / result["replays"]


def _figures(path: FramePath) -> list[str]:
    return [f"{path.seconds:.2f}", _megabytes(path.peak_growth_mb), f"{path.rows:,}"]


def _megabytes(figure: float | None) -> str:
    return "-" if figure is None else f"{figure:,.0f}"


def _times(figure: float | None) -> str:
    return "-" if figure is None else f"{figure:.2f}x"


def _verdict(label: str, figure: float | None, met: Any) -> str:
    if figure is None:
        return f"  {label}: - (not measured)"
    return f"  {label}: {figure:.2f}x ({'met' if met(figure) else 'MISSED'})"
