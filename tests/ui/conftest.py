"""Browser fixtures: the demo store (with a hostile event), the dashboard served from it
read-only and with replays allowed, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, ViewportSize, expect, sync_playwright

from tests.ui.served import build_store, serving
from workbench.demo import DemoSummary

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium: the only browser these tests launch (never a downloaded one)."""
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
WAIT_MS = 20_000
"""How long a view may take to show what a step asks for (a loaded CI machine is slow)."""

expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, DemoSummary]:
    """The store's URL (SQLite) and what the demo wrote into it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('ui') / 'demo.db'}"
    return url, build_store(url)


@pytest.fixture(scope="module")
def read_only_server(
    demo_store: tuple[str, DemoSummary], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    log = tmp_path_factory.mktemp("server") / "read-only.log"
    with serving(demo_store[0], log=log) as base:
        yield base


@pytest.fixture(scope="module")
def replay_server(
    demo_store: tuple[str, DemoSummary], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    log = tmp_path_factory.mktemp("server") / "replay.log"
    with serving(demo_store[0], "--allow-replay", log=log) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from ``/usr/bin/chromium``; skipped without it, unless
    ``EVENT_SOURCERY_REQUIRE_SERVICES=1`` (CI), where its absence fails."""
    if not CHROMIUM.is_file():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("EVENT_SOURCERY_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} (EVENT_SOURCERY_REQUIRE_SERVICES=1)")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser session (its own dashboard) at 1280 by 800."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(WAIT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    """Every alert, confirm or prompt ``page`` opens from now on (each dismissed)."""
    opened: list[str] = []

    def record(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return opened
