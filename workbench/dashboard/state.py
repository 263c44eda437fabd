"""DashboardState: what the views share — the workbench, and what the user picked — as
documented parameters, so that a view reacts to another's selection without knowing it."""

from __future__ import annotations

from typing import Any

import param

from event_sourcery import Publisher
from workbench.workbench import Workbench


class DashboardState(param.Parameterized):
    """The selection every view may read or set; the workbench answers the questions."""

    event_uuid = param.String(default=None, allow_None=True, doc="The event shown in detail.")
    stream = param.String(
        default=None, allow_None=True, doc="The stream (its uuid as text) being time-travelled."
    )

    def __init__(self, wb: Workbench, *, publisher: Publisher | None = None, **params: Any) -> None:
        super().__init__(**params)
        self.wb = wb
        self.publisher = publisher
        """Where a confirmed replay sends entries; set by whoever builds the dashboard (None:
        the outbox view says no publisher is configured)."""

    @property
    def read_only(self) -> bool:
        """Whether writes (replays) are hidden: the workbench was opened read-only."""
        return self.wb.read_only
