"""The dashboard app: the views in one template, built per browser session over one shared
workbench. ``panel serve workbench/dashboard/app.py --args URL [--app MODULE]`` serves it;
``python -m workbench serve`` (``server.serve``) and ``Workbench.dashboard()`` call
``build_dashboard``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import panel as pn

from event_sourcery import Publisher
from workbench.dashboard.state import DashboardState
from workbench.workbench import Workbench

TITLE = "Event Sourcery workbench"
TAB_NAMES = ("Overview", "Events", "Event", "Time travel", "Snapshots", "Outbox")
"""The views, in their tabs' order."""


def view_factories(state: DashboardState) -> dict[str, Callable[[], Any]]:
    """How each tab's view is made (on first showing, so that opening the dashboard reads
    only what the first tab needs)."""
    from workbench.dashboard.event_view import EventDetailView
    from workbench.dashboard.events_view import EventsView
    from workbench.dashboard.outbox_view import OutboxView
    from workbench.dashboard.overview import OverviewView
    from workbench.dashboard.snapshots_view import SnapshotsView
    from workbench.dashboard.timetravel_view import TimeTravelView

    views: list[Callable[[], Any]] = [
        lambda: OverviewView(state),
        lambda: EventsView(state),
        lambda: EventDetailView(state),
        lambda: TimeTravelView(state),
        lambda: SnapshotsView(state),
        lambda: OutboxView(state),
    ]
    return dict(zip(TAB_NAMES, views, strict=True))


class DashboardTabs(pn.viewable.Viewer):
    """The views as tabs, each made when first shown; picking an event or a stream in one
    view brings up the view that shows it."""

    def __init__(self, state: DashboardState, **params: Any) -> None:
        super().__init__(**params)
        self.state = state
        self._factories = view_factories(state)
        self.views: dict[str, Any] = {}
        self._slots = [pn.Column(sizing_mode="stretch_width") for _ in TAB_NAMES]
        self.tabs = pn.Tabs(*zip(TAB_NAMES, self._slots, strict=True), sizing_mode="stretch_width")
        self.tabs.param.watch(lambda event: self.bring_up(TAB_NAMES[event.new]), "active")
        state.param.watch(lambda _event: self.bring_up("Event"), "event_uuid")
        state.param.watch(lambda _event: self.bring_up("Time travel"), "stream")
        self.bring_up(TAB_NAMES[0])

    def bring_up(self, name: str) -> Any:
        """Make the tab's view if it is new, bring the tab up, and return the view."""
        index = TAB_NAMES.index(name)
        if name not in self.views:
            view = self.views[name] = self._factories[name]()
            self._slots[index].objects = [view]
        if self.tabs.active != index:
            self.tabs.active = index
        return self.views[name]

    def __panel__(self) -> pn.viewable.Viewable:
        return self.tabs


def build_dashboard(wb: Workbench, publisher: Publisher | None = None) -> pn.template.BaseTemplate:
    """The dashboard for one browser session: the tabs in a Fast template."""
    state = DashboardState(wb, publisher=publisher)
    mode = "read-only" if wb.read_only else "replays allowed"
    return pn.template.FastListTemplate(
        title=TITLE,
        header=[pn.pane.Markdown(f"**{mode}**", styles={"color": "white"})],
        main=[DashboardTabs(state)],
        theme_toggle=False,
    )


def _served() -> None:
    """``panel serve app.py --args URL [--app MODULE ...] [--allow-replay]``."""
    parser = argparse.ArgumentParser(prog="app.py --args")
    parser.add_argument("url")
    parser.add_argument("--app", action="append", default=[])
    parser.add_argument("--allow-replay", action="store_true")
    args = parser.parse_args(sys.argv[1:])
    cache = pn.state.cache
    wb = cache.get("workbench")
    if wb is None:
        wb = cache["workbench"] = Workbench.open(
            args.url, app=args.app, read_only=not args.allow_replay
        )
    build_dashboard(wb).servable()


if pn.state.served:
    _served()
