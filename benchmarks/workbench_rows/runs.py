"""Running the measurements as child processes and keeping the best of the repeats."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.workbench_rows.fixtures import ROOT

TIMEOUT_SECONDS = 1_800
CHILD = "benchmarks.workbench_rows.child"


class RunFailed(Exception):
    """A child exited with an error, timed out or printed no result line."""


@dataclass
class FramePath:
    """The best of the repeats of one path: fewest seconds, smallest peak growth (each
    on its own: the memory a path needs hardly varies between runs)."""

    seconds: float = float("inf")
    peak_growth_mb: float | None = None
    rows: int = 0
    runs: list[dict[str, Any]] = field(default_factory=list)

    def add(self, result: dict[str, Any]) -> None:
        self.runs.append(result)
        self.seconds = min(self.seconds, result["seconds"])
        self.rows = result["rows"]
        growth = result["peak_growth_mb"]
        if growth is not None:
            known = self.peak_growth_mb
            self.peak_growth_mb = growth if known is None else min(known, growth)


def frame_paths(url: str, repeat: int) -> tuple[FramePath, FramePath, list[str]]:
    """Ours and naive, interleaved ``repeat`` times, each run a fresh child; and what
    differs between the frames they built (first run of each; empty: the same rows)."""
    ours, naive = FramePath(), FramePath()
    with tempfile.TemporaryDirectory(prefix="workbench-rows-") as scratch:
        checks = {name: Path(scratch, f"{name}.pickle") for name in ("ours", "naive")}
        for run in range(repeat):
            for name, best in (("ours", ours), ("naive", naive)):
                check = ["--check", str(checks[name])] if run == 0 else []
                best.add(_child([f"frame-{name}", "--url", url, *check]))
        differences = compare(*(pickle.loads(checks[name].read_bytes()) for name in checks))
    return ours, naive, differences


def jump_runs(url: str, repeat: int, jumps: int, replays: int, seed: int) -> dict[str, Any]:
    """The jumps child ``repeat`` times; every timed figure the smallest of the runs."""
    arguments = ["--jumps", str(jumps), "--replays", str(replays), "--seed", str(seed)]
    results = [_child(["jumps", "--url", url, *arguments]) for _ in range(repeat)]
    best = dict(results[0])
    for key in ("load_seconds", "build_seconds", "jump_seconds", "replay_seconds"):
        best[key] = min(result[key] for result in results)
    best["mismatched"] = sorted({v for result in results for v in result["mismatched"]})
    return best


def compare(ours: dict[str, Any], naive: dict[str, Any]) -> list[str]:
    """Where the two frames' checked values differ, one line each."""
    differences = []
    if ours["rows"] != naive["rows"]:
        differences.append(f"rows: ours {ours['rows']:,}, naive {naive['rows']:,}")
    if ours["data_columns"] != naive["data_columns"]:
        only = sorted(set(ours["data_columns"]) ^ set(naive["data_columns"]))
        differences.append(f"data columns in one frame only: {', '.join(only)}")
    for name, mine in ours["columns"].items():
        theirs = naive["columns"][name]
        if mine != theirs:
            at = _first_difference(mine, theirs)
            differences.append(f"column {name}: first difference at row {at}")
    return differences


def _first_difference(mine: list[Any] | None, theirs: list[Any] | None) -> str:
    if mine is None or theirs is None:
        return "- (missing in " + ("ours" if mine is None else "naive") + ")"
    for index, (a, b) in enumerate(zip(mine, theirs, strict=False)):
        if a != b:
            return f"{index:,} ({a!r} != {b!r})"
    return f"{min(len(mine), len(theirs)):,} (lengths differ)"


def _child(arguments: list[str]) -> dict[str, Any]:
    command = [sys.executable, "-m", CHILD, *arguments]
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            check=False,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as error:
        raise RunFailed(f"{arguments[0]} timed out after {TIMEOUT_SECONDS}s") from error
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        raise RunFailed(f"{arguments[0]}: {tail[0]}")
    try:
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError) as error:
        raise RunFailed(f"{arguments[0]}: no result line in {done.stdout[-200:]!r}") from error
    return result
