"""Dashboard fixtures: a demo store (small) and a workbench on it, per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench import Workbench
from workbench.demo import DemoSummary, build_demo


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, DemoSummary]:
    """A SQLite demo store of 2,000 events, built once per module."""
    path: Path = tmp_path_factory.mktemp("dashboard") / "demo.db"
    url = f"sqlite:///{path}"
    return url, build_demo(url, events=2_000, seed=3, progress=False)


@pytest.fixture
def demo_wb(demo_url: tuple[str, DemoSummary]) -> Iterator[Workbench]:
    """A read-only workbench on the demo store."""
    with Workbench.open(demo_url[0], app="workbench.demo") as wb:
        yield wb


@pytest.fixture
def demo(store_url: str) -> Iterator[tuple[Workbench, DemoSummary]]:
    """A demo store of 2,000 events on each SQL backend in turn, and a workbench on it."""
    summary = build_demo(store_url, events=2_000, seed=3, progress=False)
    with Workbench.open(store_url, app="workbench.demo") as wb:
        yield wb, summary
