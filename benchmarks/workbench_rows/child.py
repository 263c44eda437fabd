"""One measurement in a process of its own, so that its peak memory is its own:
``python -m benchmarks.workbench_rows.child frame-ours|frame-naive --url URL --check FILE``
or ``... jumps --url URL --jumps N --replays N --seed S``; prints one JSON line.

Memory: the resident set after imports and ``connect`` (``VmRSS``), then the peak of
the process's resident set once the frame is built (``VmHWM``, from
``/proc/self/status``). Not ``ru_maxrss``: Linux carries the parent's high-water mark
into a child across fork and exec, so a child of a large parent would report the
parent's peak.
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import sys
import time
from pathlib import Path

import benchmarks.workbench_rows.model  # noqa: F401  (registers the event classes)
from benchmarks.workbench_rows import frame_paths, jumps
from event_sourcery import connect

STATUS = Path("/proc/self/status")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workbench_rows.child")
    parser.add_argument("task", choices=("frame-ours", "frame-naive", "jumps"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--check", type=Path, help="where to write the values compared")
    parser.add_argument("--jumps", type=int, default=1_000)
    parser.add_argument("--replays", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args(argv)
    store = connect(arguments.url, create_tables=False)
    store.position  # noqa: B018  (opens the connection before the baseline)
    if arguments.task == "jumps":
        result = jumps.measure(store, arguments.jumps, arguments.replays, arguments.seed)
        print(json.dumps(result))
        return 0
    path = frame_paths.ours if arguments.task == "frame-ours" else frame_paths.naive
    gc.collect()
    baseline = _status_kb("VmRSS")
    started = time.perf_counter()
    frame = path(store)
    seconds = time.perf_counter() - started
    peak = _status_kb("VmHWM")
    growth = None if peak is None or baseline is None else (peak - baseline) / 1024
    if arguments.check is not None:
        arguments.check.write_bytes(pickle.dumps(frame_paths.check_values(frame)))
    result = {"seconds": seconds, "peak_growth_mb": growth, "rows": len(frame)}
    print(json.dumps(result))
    return 0


def _status_kb(field: str) -> int | None:
    """A ``kB`` figure of this process from ``/proc/self/status`` (None off Linux)."""
    if not STATUS.exists():
        return None
    for line in STATUS.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return None


if __name__ == "__main__":
    sys.exit(main())
