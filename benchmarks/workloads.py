"""The workloads' names and what their rates count.

The runners' ``_harness`` (stdlib only, run in other venvs) defines the same names;
``--workload`` there and here must agree.
"""

from __future__ import annotations

EVENT_WORKLOADS = ("single", "batch", "load")
"""Rates in events per second."""
REBUILDS = ("rebuild", "rebuild-snap")
"""Rates in whole aggregate rebuilds per second."""
WORKLOADS = EVENT_WORKLOADS + REBUILDS


def counted(workload: str) -> str:
    """What a workload's runners count (the ``unit`` of their result line)."""
    return "rebuilds" if workload in REBUILDS else "events"


def unit(workload: str) -> str:
    """The rate's unit as the table shows it."""
    return "rebuilds/s" if workload in REBUILDS else "ev/s"
