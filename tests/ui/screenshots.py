"""Screenshots of the served views: every one under ``tests/ui/output/`` (ignored by git);
the README's also in ``docs/screenshots/`` when ``WORKBENCH_UPDATE_SCREENSHOTS=1``."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page, expect

OUTPUT = Path(__file__).resolve().parent / "output"
README_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shoot(page: Page, name: str, *, readme: bool = False) -> Path:
    """Screenshot the viewport to ``OUTPUT/<name>.png`` once the template's busy indicator
    stops spinning; a README view also to ``README_SHOTS/<name>.png`` when asked to."""
    busy = page.locator('.pn-busy-container [class*="spin"]')
    expect(busy).to_have_count(0)
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=path)
    if readme and os.environ.get("WORKBENCH_UPDATE_SCREENSHOTS") == "1":
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        (README_SHOTS / f"{name}.png").write_bytes(path.read_bytes())
    return path
