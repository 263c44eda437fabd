"""The served dashboard in a real Chromium: filter, open an event, time-travel, the drifted
snapshot, replay's dry run (and its absence when read-only), hostile payloads shown as text,
and the login page. Each view's screenshot goes to ``tests/ui/output/``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.ui.screenshots import shoot
from tests.ui.served import HOSTILE_STREAM, XSS_IMG, XSS_SCRIPT, serving
from workbench import Workbench
from workbench.demo import DemoSummary

pytestmark = pytest.mark.ui

DRIFT_BACKGROUND = "rgb(253, 226, 225)"
"""``snapshots_view.DRIFT_STYLE``'s background, as the browser reports it."""


def open_dashboard(page: Page, base: str) -> None:
    """Load the dashboard and wait for the Overview's numbers."""
    page.goto(base, wait_until="domcontentloaded")
    expect(page.get_by_text("outbox delivered")).to_be_visible()


def tab(page: Page, name: str) -> Locator:
    """The tab named ``name`` exactly."""
    return page.locator(".bk-tab").filter(has_text=re.compile(f"^{re.escape(name)}$")).first


def expect_shown(page: Page, name: str) -> None:
    """Wait until the tab named ``name`` is the active one."""
    expect(tab(page, name)).to_have_class(re.compile(r"\bbk-active\b"))


def open_tab(page: Page, name: str) -> None:
    """Click the tab named ``name`` and wait until it is shown."""
    tab(page, name).click()
    expect_shown(page, name)


def visible(page: Page, selector: str) -> Locator:
    """What ``selector`` finds in the view shown (other tabs stay in the page, hidden)."""
    return page.locator(selector).filter(visible=True)


def cells(page: Page, field: str) -> Locator:
    """The shown table cells of column ``field``."""
    return visible(page, f'.tabulator-cell[tabulator-field="{field}"]')


def json_trees(page: Page) -> Locator:
    """The shown JSON panes (their root rows), in layout order."""
    return visible(page, "div:not(.json-formatter-children) > .json-formatter-row")


def filter_by_type(page: Page, type_name: str) -> None:
    """Pick ``type_name`` in the Events view's type filter (Choices.js), then close its list."""
    visible(page, ".choices input[type=search]").first.click()
    page.keyboard.type(type_name)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expect(visible(page, ".choices__list--dropdown.is-active")).to_have_count(0)


def test_filtering_events_by_type_shows_only_that_type(page: Page, read_only_server: str) -> None:
    open_dashboard(page, read_only_server)
    shoot(page, "overview", readme=True)
    open_tab(page, "Events")
    types = cells(page, "type")
    expect(types.first).to_be_visible()

    filter_by_type(page, "demo.PaymentFailed")

    expect(types.first).to_have_text("demo.PaymentFailed")
    expect(types.filter(has_not_text="demo.PaymentFailed")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"Page 1 · positions \d+ to \d+"))).to_be_visible()
    shoot(page, "events", readme=True)


def test_clicking_an_event_row_shows_its_payload_in_the_event_view(
    page: Page, read_only_server: str, demo_store: tuple[str, DemoSummary]
) -> None:
    open_dashboard(page, read_only_server)
    open_tab(page, "Events")
    filter_by_type(page, "demo.InvoiceIssued")
    types = cells(page, "type")
    expect(types.filter(has_not_text="demo.InvoiceIssued")).to_have_count(0)
    uuid = cells(page, "event_uuid").first.inner_text().strip()
    with Workbench.open(demo_store[0], app="workbench.demo") as wb:
        event = wb.trace(uuid).event

    types.first.click()

    expect_shown(page, "Event")
    title = f"demo.InvoiceIssued: {event['stream_name']} v{event['version']}"
    expect(page.get_by_text(title)).to_be_visible()
    payload = json_trees(page).first
    for key, value in event["data"].items():
        expect(payload).to_contain_text(f"{key}:")
        if isinstance(value, str):
            expect(payload).to_contain_text(f'"{value}"')
    shoot(page, "event", readme=True)


def test_moving_the_time_travel_slider_changes_the_state_shown(
    page: Page, read_only_server: str, demo_store: tuple[str, DemoSummary]
) -> None:
    stream = demo_store[1].drifted_stream
    assert stream is not None
    assert stream.name is not None
    open_dashboard(page, read_only_server)
    open_tab(page, "Time travel")
    page.get_by_placeholder("Search streams…").press_sequentially(stream.name)
    visible(page, ".bk-menu > div").filter(has_text=f"{stream.name} · ").first.click()
    slider = visible(page, ".noUi-target:not([disabled])")
    version = visible(page, ".bk-slider-value")
    expect(slider).to_have_count(1)
    expect(version).not_to_have_text("0")  # the last version, once loaded
    state, event = json_trees(page).nth(0), json_trees(page).nth(1)
    expect(state).to_contain_text("customer:")
    last = version.inner_text()
    expect(event).to_contain_text(f"version:{last}")
    at_last = state.inner_text()

    handle = slider.locator(".noUi-handle")
    handle.focus()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")

    expect(version).to_have_text("1")
    expect(event).to_contain_text("version:1")
    expect(event).to_contain_text('type:"demo.CustomerSubscribed"')
    expect(state).not_to_have_text(at_last)
    shoot(page, "time-travel", readme=True)


def test_the_planted_drifted_snapshot_is_flagged(
    page: Page, read_only_server: str, demo_store: tuple[str, DemoSummary]
) -> None:
    summary = demo_store[1]
    assert summary.drifted_stream is not None
    open_dashboard(page, read_only_server)
    open_tab(page, "Snapshots")

    statuses = cells(page, "status")
    expect(statuses.first).to_be_visible()
    drifted = statuses.filter(has_text=re.compile("^drift$"))
    expect(drifted).to_have_count(1)
    row = visible(page, ".tabulator-row").filter(has=drifted)
    expect(row.locator('[tabulator-field="stream_name"]')).to_have_text(
        str(summary.drifted_stream.name)
    )
    expect(row.locator('[tabulator-field="version"]')).to_have_text(str(summary.drifted_version))
    expect(drifted).to_have_css("background-color", DRIFT_BACKGROUND)
    shoot(page, "snapshots", readme=True)


def test_a_replay_dry_run_previews_what_would_be_sent(page: Page, replay_server: str) -> None:
    open_dashboard(page, replay_server)
    open_tab(page, "Outbox")
    expect(page.get_by_text(re.compile(r"^\d+ entries\.$"))).to_be_visible()
    open_tab(page, "Replay")

    page.get_by_role("button", name="Dry run: preview a replay").click()

    preview = page.get_by_text(re.compile(r"A replay of \d+ entries would send \d+"))
    expect(preview).to_be_visible()
    sending = re.search(r"would send (\d+)", preview.inner_text())
    assert sending is not None
    expect(cells(page, "action").first).to_be_visible()
    confirm = page.get_by_role("button", name=f"Confirm replay of {sending[1]} entries")
    expect(confirm).to_be_visible()
    confirm.scroll_into_view_if_needed()
    shoot(page, "outbox-replay-preview")


def test_a_read_only_dashboard_offers_no_replay_confirmation(
    page: Page, read_only_server: str
) -> None:
    open_dashboard(page, read_only_server)
    expect(page.get_by_text("read-only", exact=True)).to_be_visible()
    open_tab(page, "Outbox")
    expect(page.get_by_text(re.compile(r"^\d+ entries\.$"))).to_be_visible()
    shoot(page, "outbox", readme=True)
    open_tab(page, "Replay")

    page.get_by_role("button", name="Dry run: preview a replay").click()

    preview = page.get_by_text(re.compile(r"A replay of \d+ entries would send \d+"))
    expect(preview).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Confirm replay"))).to_have_count(0)
    expect(page.get_by_text("Confirm replay")).to_have_count(0)


def test_a_hostile_payload_shows_as_text_and_runs_nothing(
    page: Page, dialogs: list[str], read_only_server: str
) -> None:
    open_dashboard(page, read_only_server)
    open_tab(page, "Events")
    names = cells(page, "stream_name")
    expect(names.first).to_have_text(str(HOSTILE_STREAM.name))  # the newest
    expect(cells(page, "data").first).to_contain_text(XSS_SCRIPT)
    shoot(page, "hostile-events")

    names.first.click()  # opens the event
    expect_shown(page, "Event")
    expect(page.get_by_text(f"ui.HostileNote: {HOSTILE_STREAM.name}")).to_be_visible()
    payload = json_trees(page).first
    expect(payload).to_contain_text(f'text:"{XSS_SCRIPT}"')
    expect(payload).to_contain_text("onerror=")
    shoot(page, "hostile-event")

    page.get_by_role("button", name="Time-travel its stream").click()  # its name, as a label
    expect_shown(page, "Time travel")
    expect(page.get_by_text(re.compile(r"versions 0 to 1 \("))).to_contain_text(XSS_SCRIPT)
    picker = page.get_by_placeholder("Search streams…")
    picker.fill("")
    picker.press_sequentially("note <script>")
    expect(visible(page, ".bk-menu > div").first).to_contain_text(XSS_SCRIPT + XSS_IMG)
    shoot(page, "hostile-time-travel")

    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert dialogs == []
    expect(page.locator('img[src="x"]')).to_have_count(0)
    expect(page.locator("script", has_text="__xss")).to_have_count(0)


def test_with_basic_auth_the_login_page_stands_before_the_dashboard(
    page: Page, demo_store: tuple[str, DemoSummary], tmp_path: Path
) -> None:
    with serving(demo_store[0], "--basic-auth", "pw", log=tmp_path / "auth.log") as base:
        page.goto(base, wait_until="domcontentloaded")
        expect(page).to_have_url(re.compile(r"/login"))
        expect(page.locator('input[type="password"]')).to_be_visible()
        expect(page.locator(".bk-tab")).to_have_count(0)
        expect(page.get_by_text("Event Sourcery workbench")).to_have_count(0)
        shoot(page, "login")

        page.locator('input[name="username"]').fill("oncall")
        page.locator('input[name="password"]').fill("wrong")
        with page.expect_navigation():
            page.get_by_role("button", name="Login").click()
        expect(page).to_have_url(re.compile(r"/login"))
        expect(page.locator('input[type="password"]')).to_be_visible()
        expect(page.locator(".bk-tab")).to_have_count(0)

        page.locator('input[name="username"]').fill("oncall")
        page.locator('input[name="password"]').fill("pw")
        page.get_by_role("button", name="Login").click()
        expect(page.get_by_text("outbox delivered")).to_be_visible()
