"""``python -m benchmarks.workbench_rows``: the workbench's events frame against the
naive path, ``Timeline.at`` against replaying from the start, and the served dashboard.

Options: ``--events N`` (the frame's store, default 1,000,000, a multiple of 100),
``--stream-events N`` (the time-travel stream, default 100,000), ``--jumps N`` (random
versions, default 1,000), ``--replays N`` (how many of those versions are replayed
from the start, default all of them; fewer gives a per-jump time from a subset), ``--repeat N``
(best of N runs, default 3), ``--only frame|jumps|dashboard`` (repeatable). The stores
are built once under ``.bench/workbench/`` and reused. ``dashboard`` serves both stores
(``python -m workbench serve``) and drives them in Debian's Chromium through Playwright:
the Events view's first page and time-travel steps.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
import time
from pathlib import Path

from benchmarks.report import machine_lines
from benchmarks.workbench_rows import dashboard, fixtures, report, runs
from workbench.timeline import CHECKPOINT_EVERY

ROWS = ("frame", "jumps", "dashboard")
SEED = 7
SHOWN = ("pandas", "pydantic", "sqlalchemy")


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line described in the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.workbench_rows", description=__doc__
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--stream-events", type=int, default=100_000)
    parser.add_argument("--jumps", type=int, default=1_000)
    parser.add_argument("--replays", type=int, help="default: as many as --jumps")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    parser.add_argument("--only", action="append", choices=ROWS, default=[])
    arguments = parser.parse_args(argv)
    if arguments.replays is None:
        arguments.replays = arguments.jumps
    for name in ("events", "stream_events", "jumps", "replays", "repeat"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if arguments.replays > arguments.jumps:
        parser.error("--replays cannot exceed --jumps (they replay some of the same versions)")
    return arguments


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the stores, measure, print the figures and the targets."""
    arguments = parse_arguments(argv)
    started = time.perf_counter()
    chosen = [row for row in ROWS if row in arguments.only] or list(ROWS)
    print("\n".join(machine_lines(None)))
    print("versions: " + ", ".join(f"{n} {importlib.metadata.version(n)}" for n in SHOWN))
    print(f"best of {arguments.repeat} run(s), each a fresh process\n")
    frames = jumps = None
    served: tuple[dashboard.EventsRow, dashboard.StepRow, int] | None = None
    failed = False
    if "frame" in chosen:
        path, built = fixtures.events_store(arguments.events)
        streams = fixtures.stream_count(arguments.events)
        print(
            f"events frame: {arguments.events:,} events of 5 types in {streams:,} streams "
            f"({_where(path, built)})"
        )
        _warm(path)
        try:
            ours, naive, differences = runs.frame_paths(_url(path), arguments.repeat)
        except runs.RunFailed as error:
            print(f"  error: {error}")
            failed = True
        else:
            frames = (ours, naive)
            failed = failed or bool(differences)
            print("\n".join(report.frame_lines(ours, naive, differences)))
        print()
    if "jumps" in chosen:
        path, built = fixtures.account_store(arguments.stream_events)
        print(
            f"time travel: one Account stream of {arguments.stream_events:,} events "
            f"({_where(path, built)}), {arguments.jumps:,} jumps to random versions "
            f"(seed {SEED})"
        )
        try:
            jumps = runs.jump_runs(
                _url(path), arguments.repeat, arguments.jumps, arguments.replays, SEED
            )
        except runs.RunFailed as error:
            print(f"  error: {error}")
            failed = True
        else:
            failed = failed or bool(jumps["mismatched"])
            print("\n".join(report.jump_lines(jumps, CHECKPOINT_EVERY)))
        print()
    if "dashboard" in chosen:
        served, ok = _dashboard_rows(arguments)
        failed = failed or not ok
    print("\n".join(report.target_lines(frames, jumps, served)))
    print(f"\ntotal time: {time.perf_counter() - started:.0f}s")
    return 1 if failed else 0


def _dashboard_rows(
    arguments: argparse.Namespace,
) -> tuple[tuple[dashboard.EventsRow, dashboard.StepRow, int] | None, bool]:
    """The served dashboard on both stores: the figures (None if not run) and whether
    nothing failed."""
    events_path, built = fixtures.events_store(arguments.events)
    print(
        f"dashboard, Events view: {arguments.events:,} events "
        f"({_where(events_path, built)}), python -m workbench serve, headless {dashboard.CHROMIUM}"
    )
    why = dashboard.missing()
    if why is not None:
        print(f"  skipped: {why}\n")
        return None, True
    _warm(events_path)
    try:
        events = dashboard.events_rows(_url(events_path), arguments.repeat)
    except Exception as error:  # the server's or the browser's (Playwright's own errors)
        print(f"  error: {type(error).__name__}: {str(error).splitlines()[0]}\n")
        return None, False
    print("\n".join(report.dashboard_lines(events)) + "\n")
    account_path, built = fixtures.account_store(arguments.stream_events)
    print(
        f"dashboard, time travel: one Account stream of {arguments.stream_events:,} events "
        f"({_where(account_path, built)}), {dashboard.STEPS} steps a run"
    )
    _warm(account_path)
    try:
        steps = dashboard.step_rows(_url(account_path), arguments.repeat)
    except Exception as error:
        print(f"  error: {type(error).__name__}: {str(error).splitlines()[0]}\n")
        return None, False
    print("\n".join(report.step_lines(steps)) + "\n")
    return (events, steps, events_path.stat().st_size), True


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _where(path: Path, built: float | None) -> str:
    how = "reused" if built is None else f"built in {built:.0f}s, untimed"
    return f"{path.relative_to(fixtures.ROOT)}: {how}"


def _warm(path: Path) -> None:
    """Read the database file once so that no path pays for the first read from disk."""
    with path.open("rb") as file:
        while file.read(1 << 24):
            pass


if __name__ == "__main__":
    sys.exit(main())
