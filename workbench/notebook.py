"""Notebook explorers: ipywidgets over the workbench's rooms (display only, no logic)."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.timeline import Timeline


def timeline_explorer(timeline: Timeline[Any]) -> Any:
    """A slider and a player over the versions; shows the event, the state and the diff to
    the previous version."""
    import ipywidgets as widgets  # type: ignore[import-untyped]

    last = timeline.last_version
    slider = widgets.IntSlider(value=last, min=0, max=last, description="version")
    player = widgets.Play(value=last, min=0, max=last, interval=500, description="play")
    widgets.jslink((player, "value"), (slider, "value"))
    view = widgets.HTML(value=timeline_step_html(timeline, last))

    def show(change: dict[str, Any]) -> None:
        view.value = timeline_step_html(timeline, int(change["new"]))

    slider.observe(show, names="value")
    return widgets.VBox([widgets.HBox([player, slider]), view])


def timeline_step_html(timeline: Timeline[Any], version: int) -> str:
    """One step of a timeline as HTML: the event that made it, the state, the diff."""
    state = _pre(timeline.at(version))
    if version == 0:
        return f"<h4>Before the first event</h4>{state}"
    event = timeline.event(version)
    title = html.escape(f"Version {version}: {event['type']} at {event['created_at'].isoformat()}")
    changes = timeline.diff(version - 1, version)._repr_html_()
    return (
        f"<h4>{title}</h4><p>Payload</p>{_pre(event['data'])}<p>State</p>{state}"
        f"<p>Changes from version {version - 1}</p>{changes}"
    )


def _pre(value: Any) -> str:
    return f"<pre>{html.escape(json.dumps(value, indent=2, default=str))}</pre>"
