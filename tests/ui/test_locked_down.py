"""The dashboard locked down, tried from outside: it listens on 127.0.0.1 only; its websocket
refuses pages of other origins; behind ``--basic-auth`` no store data reaches a browser (or a
plain HTTP client) without the right password — not in the page, not over the websocket, not
with a forged cookie. (Read-only by default and hostile payloads shown as text are proved in
``test_dashboard_in_browser.py``.)"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, WebSocket, expect
from tornado.web import create_signed_value

from tests.ui.served import HostileNote, Served, listening_sockets, served_process
from workbench.demo import DemoSummary

pytestmark = pytest.mark.ui

USER, PASSWORD = "oncall", "correct horse"
STORE_DATA = ("demo.InvoiceIssued", "demo.PaymentReceived", "demo.CustomerSubscribed")
"""Event type names of the demo store: the Overview's activity chart shows them once logged in."""
HOSTILE = HostileNote.__event_name__


@pytest.fixture(scope="module")
def open_server(
    demo_store: tuple[str, DemoSummary], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The dashboard as ``serve URL`` starts it: no options."""
    log = tmp_path_factory.mktemp("server") / "open.log"
    with served_process(demo_store[0], log=log) as served:
        yield served


@pytest.fixture(scope="module")
def locked_server(
    demo_store: tuple[str, DemoSummary], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The dashboard behind ``--basic-auth users.json`` (one user, ``USER``)."""
    folder = tmp_path_factory.mktemp("locked")
    users = folder / "users.json"
    users.write_text(json.dumps({USER: PASSWORD}))
    with served_process(demo_store[0], "--basic-auth", str(users), log=folder / "log") as served:
        yield served


def upgrade(served: Served, origin: str, *, token: str = "", cookie: str = "") -> int:
    """The status of a websocket upgrade to ``/ws`` from a page of ``origin`` (101: opened)."""
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Origin": origin,
    }
    if token:
        headers["Sec-WebSocket-Protocol"] = f"bokeh, {token}"
    if cookie:
        headers["Cookie"] = cookie
    return request(served, "/ws", headers)[0]


def request(served: Served, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """A GET of ``path``, redirects not followed: its status and body (with any Location)."""
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=60)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        return response.status, f"{response.getheader('Location', '')}\n{body}"
    finally:
        connection.close()


def session_token(served: Served) -> str:
    """The session token of a fresh page of the open dashboard."""
    status, page = request(served, "/")
    assert status == 200
    found = re.search(r'"token":\s*"([^"]+)"', page)
    assert found is not None, page[:500]
    return found[1]


def assert_no_store_data(text: str) -> None:
    for name in (*STORE_DATA, HOSTILE):
        assert name not in text


def record_websockets(page: Page) -> list[str]:
    """Every websocket frame ``page`` receives from now on (and ``"opened <url>"`` for each
    websocket it opens)."""
    seen: list[str] = []

    def opened(socket: WebSocket) -> None:
        seen.append(f"opened {socket.url}")
        socket.on("framereceived", lambda frame: seen.append(str(frame)))

    page.on("websocket", opened)
    return seen


def log_in(page: Page, user: str, password: str) -> None:
    page.locator('input[name="username"]').fill(user)
    page.locator('input[name="password"]').fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Login").click()


def test_by_default_the_dashboard_listens_on_127_0_0_1_only(open_server: Served) -> None:
    assert listening_sockets(open_server.process.pid) == {("127.0.0.1", open_server.port)}
    assert f"is at http://127.0.0.1:{open_server.port}/" in open_server.log.read_text()


def test_a_websocket_from_a_page_of_another_origin_is_refused(open_server: Served) -> None:
    port = open_server.port
    token = session_token(open_server)
    for stranger in ("http://evil.example", f"http://evil.example:{port}", "null"):
        assert upgrade(open_server, stranger, token=token) == 403
    for own in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
        assert upgrade(open_server, own, token=session_token(open_server)) == 101


def test_without_logging_in_no_endpoint_gives_store_data(locked_server: Served) -> None:
    own = f"http://127.0.0.1:{locked_server.port}"
    for path in ("/", "/?bokeh-session-id=x", "/autoload.js?bokeh-autoload-element=x", "/metadata"):
        status, body = request(locked_server, path, {"Origin": own})
        assert status in {302, 403}, (path, status)
        assert "/login" in body or status == 403
        assert_no_store_data(body)
    assert upgrade(locked_server, own) in {302, 403}


def test_without_the_right_password_the_browser_gets_no_store_data(
    page: Page, locked_server: Served
) -> None:
    frames = record_websockets(page)
    page.goto(locked_server.base, wait_until="domcontentloaded")
    expect(page).to_have_url(re.compile(r"/login"))
    log_in(page, USER, "wrong")
    expect(page).to_have_url(re.compile(r"/login\?error="))
    log_in(page, "nobody", PASSWORD)
    expect(page).to_have_url(re.compile(r"/login\?error="))
    page.goto(locked_server.base, wait_until="networkidle")

    expect(page).to_have_url(re.compile(r"/login"))
    assert_no_store_data(page.content())
    assert frames == []


def test_a_forged_login_cookie_gets_no_store_data(page: Page, locked_server: Served) -> None:
    signed_elsewhere = create_signed_value("another secret", "user", USER).decode()
    for forged in (USER, signed_elsewhere):
        page.context.clear_cookies()
        page.context.add_cookies([{"name": "user", "value": forged, "url": locked_server.base}])
        frames = record_websockets(page)
        page.goto(locked_server.base, wait_until="networkidle")

        expect(page).to_have_url(re.compile(r"/login"))
        assert_no_store_data(page.content())
        assert frames == []
        own = f"http://127.0.0.1:{locked_server.port}"
        assert upgrade(locked_server, own, cookie=f"user={forged}") in {302, 403}


def test_the_right_password_brings_the_store_data_the_other_tests_look_for(
    page: Page, locked_server: Served
) -> None:
    frames = record_websockets(page)
    page.goto(locked_server.base, wait_until="domcontentloaded")
    log_in(page, USER, PASSWORD)

    expect(page.get_by_text("outbox delivered")).to_be_visible()
    expect(page.locator(".bk-tab").first).to_be_visible()
    received = "\n".join(frames)
    assert any(name in received for name in STORE_DATA), received[:2000]


def test_on_every_interface_it_warns_and_lets_in_only_the_origins_named(
    demo_store: tuple[str, DemoSummary], tmp_path: Path
) -> None:
    options = ("--address", "0.0.0.0", "--allow-websocket-origin", "dash.example")
    with served_process(demo_store[0], *options, log=tmp_path / "everywhere.log") as served:
        assert listening_sockets(served.process.pid) == {("0.0.0.0", served.port)}
        for origin, status in (
            ("http://dash.example", 101),  # a reverse proxy's name, port 80
            (f"http://127.0.0.1:{served.port}", 101),
            (f"http://dash.example:{served.port}", 403),
            (f"http://evil.example:{served.port}", 403),
        ):
            assert upgrade(served, origin, token=session_token(served)) == status, origin
        log = served.log.read_text()
    assert "warning: serving on 0.0.0.0 without --basic-auth: anyone who reaches" in log
    assert "until --allow-websocket-origin" not in log
