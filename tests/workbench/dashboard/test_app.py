"""The dashboard's tabs: views made when first shown; a pick in one view brings up the
view that shows it; read-only or not, as the workbench was opened."""

from __future__ import annotations

from workbench import Workbench
from workbench.dashboard.app import TAB_NAMES, DashboardTabs, build_dashboard
from workbench.dashboard.state import DashboardState
from workbench.demo import DemoSummary


def test_only_the_first_tab_is_made_until_another_is_opened(demo_wb: Workbench) -> None:
    tabs = DashboardTabs(DashboardState(demo_wb))
    assert list(tabs.views) == ["Overview"]
    tabs.tabs.active = TAB_NAMES.index("Snapshots")
    assert list(tabs.views) == ["Overview", "Snapshots"]
    assert tabs.tabs.active == TAB_NAMES.index("Snapshots")


def test_picking_an_event_or_a_stream_brings_up_its_view(
    demo_wb: Workbench, demo_url: tuple[str, DemoSummary]
) -> None:
    state = DashboardState(demo_wb)
    tabs = DashboardTabs(state)
    first = demo_wb.events(limit=1, payload=False)["event_uuid"].iloc[0]
    state.event_uuid = first
    assert tabs.tabs.active == TAB_NAMES.index("Event")
    drifted = demo_url[1].drifted_stream
    assert drifted is not None
    state.stream = str(drifted.uuid)
    assert tabs.tabs.active == TAB_NAMES.index("Time travel")
    assert set(tabs.views) == {"Overview", "Event", "Time travel"}


def test_the_template_says_whether_replays_are_allowed(demo_wb: Workbench) -> None:
    template = build_dashboard(demo_wb)
    assert "read-only" in template.header[0].object
    demo_wb.read_only = False
    assert "replays allowed" in build_dashboard(demo_wb).header[0].object


def test_a_notebook_gets_the_same_tabs_inline(demo_wb: Workbench) -> None:
    tabs = demo_wb.dashboard()
    assert isinstance(tabs, DashboardTabs)
    assert [name for name, _ in zip(TAB_NAMES, tabs.tabs, strict=True)] == list(TAB_NAMES)
