"""The dashboard rows: the served dashboard (``python -m workbench serve``, a child process)
driven by Playwright in Debian's Chromium. How long the Events view takes from the tab's
click to its first page of rows in the browser, and the server's peak memory meanwhile; how
long a time-travel step takes from the key press that moves the slider to the state and the
event of the new version shown.

Times are taken in the page (``performance.now()``): the start by a capturing listener on
the document (``pointerdown`` for the click, ``keydown`` for the key), the end by a check
run on every animation frame (``requestAnimationFrame``), so the figure is the first frame
that shows the result. Memory: the server's ``VmHWM`` (``/proc/<pid>/status``) minus its
``VmRSS`` once it listens, before any browser session.
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.workbench_rows.fixtures import ACCOUNT_STREAM, ROOT

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium, the only browser this row launches (never a downloaded one)."""
APP = "benchmarks.workbench_rows.model"
"""``--app``: registers the stores' event classes and makes ``Account`` the aggregate of
the ``accounts`` category, so that time travel rebuilds through it."""
VIEWPORT = {"width": 1280, "height": 800}
STARTUP_SECONDS = 120
WAIT_MS = 300_000
STEPS = 10
"""Time-travel steps per run: ArrowLeft from the last version down."""

PROBES = """
window.__t0 = null;
for (const kind of ["pointerdown", "keydown"]) {
  document.addEventListener(kind, () => { window.__t0 = performance.now(); }, true);
}
window.__deep = (selector) => {
  const found = [];
  const walk = (root) => {
    root.querySelectorAll(selector).forEach((element) => found.push(element));
    root.querySelectorAll("*").forEach((element) => {
      if (element.shadowRoot) walk(element.shadowRoot);
    });
  };
  walk(document);
  return found.filter((element) => element.getClientRects().length > 0);
};
"""
"""Installed before the dashboard's own scripts: the start listeners and a query that
pierces the open shadow roots Panel renders into."""

OVERVIEW_SHOWN = """() =>
  __deep(".bk-Figure").length > 0 &&
  __deep(".bk-panel-models-tabulator-DataTabulator").length > 0 &&
  performance.now()
"""
EVENTS_SHOWN = """() =>
  __deep('.tabulator-cell[tabulator-field="type"]').some((c) => c.textContent.trim()) &&
  performance.now() - window.__t0
"""
VERSION_SHOWN = """(version) => {
  const trees = __deep("div:not(.json-formatter-children) > .json-formatter-row")
    .map((tree) => tree.textContent);
  const count = new RegExp(`count:\\\\s*${version}(?!\\\\d)`);
  const shown = new RegExp(`version:\\\\s*${version}(?!\\\\d)`);
  return trees.some((text) => count.test(text)) && trees.some((text) => shown.test(text)) &&
    performance.now() - window.__t0;
}"""
"""The state pane shows ``count: version`` (every event counts) and the event pane the
event's ``version``."""


class DashboardFailed(Exception):
    """The server stopped or never listened, or the browser never showed the view."""


@dataclass
class EventsRow:
    """Best of the repeats: the smallest of each figure."""

    open_seconds: float = float("inf")
    """Navigation start to the Overview (the first tab) rendered."""
    events_seconds: float = float("inf")
    """The Events tab's click to its first page's rows rendered."""
    startup_rss_mb: float = float("inf")
    overview_growth_mb: float = float("inf")
    peak_growth_mb: float = float("inf")
    """The server's VmHWM after the Events page minus its VmRSS once listening."""
    status: str = ""
    runs: list[dict[str, Any]] = field(default_factory=list)

    def add(self, run: dict[str, Any]) -> None:
        self.runs.append(run)
        for name in (
            "open_seconds",
            "events_seconds",
            "startup_rss_mb",
            "overview_growth_mb",
            "peak_growth_mb",
        ):
            setattr(self, name, min(getattr(self, name), run[name]))
        self.status = run["status"]


@dataclass
class StepRow:
    """Every step of every run; the pick's smallest time and memory."""

    steps_ms: list[float] = field(default_factory=list)
    pick_seconds: float = float("inf")
    """The stream's menu entry clicked to its last version's state rendered."""
    peak_growth_mb: float = float("inf")
    title: str = ""

    def add(self, run: dict[str, Any]) -> None:
        self.steps_ms.extend(run["steps_ms"])
        self.pick_seconds = min(self.pick_seconds, run["pick_seconds"])
        self.peak_growth_mb = min(self.peak_growth_mb, run["peak_growth_mb"])
        self.title = run["title"]

    @property
    def best_ms(self) -> float:
        return min(self.steps_ms)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.steps_ms)


def missing() -> str | None:
    """Why the rows cannot run here (None: they can)."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed"
    return None


def events_rows(url: str, repeat: int) -> EventsRow:
    """``repeat`` runs, each a fresh server and a fresh browser session."""
    best = EventsRow()
    with _browser() as browser:
        for _ in range(repeat):
            best.add(_events_run(browser, url))
    return best


def step_rows(url: str, repeat: int, steps: int = STEPS) -> StepRow:
    """``repeat`` runs of ``steps`` steps, each run a fresh server and browser session."""
    best = StepRow()
    with _browser() as browser:
        for _ in range(repeat):
            best.add(_step_run(browser, url, steps))
    return best


def _events_run(browser: Any, url: str) -> dict[str, Any]:
    with _served(url) as (base, server):
        baseline = _status_mb(server.pid, "VmRSS")
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            page.add_init_script(PROBES)
            page.goto(base, wait_until="commit")
            opened = _when(page, OVERVIEW_SHOWN)
            overview_peak = _status_mb(server.pid, "VmHWM")
            _tab(page, "Events").click()
            shown = _when(page, EVENTS_SHOWN)
            peak = _status_mb(server.pid, "VmHWM")
            status = page.get_by_text("Page 1 · positions").first.inner_text(timeout=WAIT_MS)
        finally:
            context.close()
    return {
        "open_seconds": opened / 1000,
        "events_seconds": shown / 1000,
        "startup_rss_mb": baseline,
        "overview_growth_mb": overview_peak - baseline,
        "peak_growth_mb": peak - baseline,
        "status": " ".join(status.split()),
    }


def _step_run(browser: Any, url: str, steps: int) -> dict[str, Any]:
    name = str(ACCOUNT_STREAM.name)
    with _served(url) as (base, server):
        baseline = _status_mb(server.pid, "VmRSS")
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            page.add_init_script(PROBES)
            page.goto(base, wait_until="commit")
            _when(page, OVERVIEW_SHOWN)
            _tab(page, "Time travel").click()
            search = page.get_by_placeholder("Search streams…")
            search.press_sequentially(name, timeout=WAIT_MS)
            entry = page.locator(".bk-menu > div").filter(has_text=f"{name} · ").first
            entry.click(timeout=WAIT_MS)
            slider = page.locator(".noUi-target:not([disabled])").filter(visible=True)
            slider.wait_for(timeout=WAIT_MS)
            last = int(page.locator(".bk-slider-value").filter(visible=True).inner_text())
            picked = _when(page, VERSION_SHOWN, last)
            title = page.get_by_text(f"{name} · ").filter(visible=True).first.inner_text()
            slider.locator(".noUi-handle").focus()
            times = []
            for step in range(1, steps + 1):
                page.keyboard.press("ArrowLeft")
                times.append(_when(page, VERSION_SHOWN, last - step))
            peak = _status_mb(server.pid, "VmHWM")
        finally:
            context.close()
    return {
        "pick_seconds": picked / 1000,
        "steps_ms": times,
        "last_version": last,
        "peak_growth_mb": peak - baseline,
        "title": " ".join(title.split()),
    }


def _when(page: Any, check: str, argument: Any = None) -> float:
    """What ``check`` returns on the first animation frame where it holds (milliseconds)."""
    handle = page.wait_for_function(check, arg=argument, polling="raf", timeout=WAIT_MS)
    return float(handle.json_value())


def _tab(page: Any, name: str) -> Any:
    import re

    pattern = re.compile(f"^{re.escape(name)}$")
    return page.locator(".bk-tab").filter(has_text=pattern).first


@contextmanager
def _browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def _served(url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``python -m workbench serve URL --app APP`` on a free port, read-only; its base URL
    and process once the port accepts connections; terminated afterwards."""
    port = _free_port()
    command = [sys.executable, "-m", "workbench", "serve", url, "--app", APP]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [*command, "--port", str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_for(port, server, log)
            yield f"http://127.0.0.1:{port}/", server
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_for(port: int, server: subprocess.Popen[bytes], log: Any) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            tail = log.read().decode(errors="replace").strip().splitlines()[-1:]
            raise DashboardFailed(f"the server stopped ({server.returncode}): {tail}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise DashboardFailed(f"the server never listened on {port}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _status_mb(pid: int, name: str) -> float:
    """A figure of process ``pid`` from ``/proc/<pid>/status``, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1]) / 1024
    raise DashboardFailed(f"no {name} in /proc/{pid}/status")
