"""Why events happened: the conversation an event belongs to (correlation) and the chain of
events that caused one another (causation), over an events frame."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd


def correlated(frame: pd.DataFrame, correlation_id: str) -> pd.DataFrame:
    """The events of one conversation: those carrying ``correlation_id``, and the event
    that started it (whose uuid it is), in position order."""
    mask = (frame["correlation_id"] == correlation_id) | (frame["event_uuid"] == correlation_id)
    return frame[mask].sort_values("position").reset_index(drop=True)


def causation_tree(frame: pd.DataFrame, event_uuid: str) -> pd.DataFrame:
    """The tree ``event_uuid`` sits in: from its first known ancestor down to every event
    caused by another in it, depth first in position order, with a ``depth`` column and
    ``is_target`` marking the event asked about. Empty if the event is not in ``frame``."""
    rows = frame.set_index("event_uuid", drop=False)
    if event_uuid not in rows.index:
        return frame.iloc[0:0].assign(depth=pd.Series(dtype="int64"), is_target=False)
    parents = rows["causation_id"]
    root, seen = event_uuid, {event_uuid}
    while True:
        parent = parents.get(root)
        if not isinstance(parent, str) or parent not in rows.index or parent in seen:
            break
        root = parent
        seen.add(root)
    children: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for uuid, cause, position in zip(
        frame["event_uuid"], frame["causation_id"], frame["position"], strict=True
    ):
        if isinstance(cause, str):
            children[cause].append((int(position), uuid))
    order: list[tuple[str, int]] = []
    stack, visited = [(root, 0)], set()
    while stack:
        uuid, depth = stack.pop()
        if uuid in visited:  # a cycle in bad data: show each event once
            continue
        visited.add(uuid)
        order.append((uuid, depth))
        for _, child in sorted(children.get(uuid, ()), reverse=True):
            stack.append((child, depth + 1))
    tree = rows.loc[[uuid for uuid, _ in order]].reset_index(drop=True)
    tree["depth"] = [depth for _, depth in order]
    tree["is_target"] = tree["event_uuid"] == event_uuid
    return tree
