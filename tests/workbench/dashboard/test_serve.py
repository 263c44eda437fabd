"""``python -m workbench serve``: a real server on 127.0.0.1, read over HTTP (the browser
tests drive it further)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ports import free_port
from workbench.demo import DemoSummary


def _serving(*args: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    yield from _running(
        [sys.executable, "-m", "workbench", "serve", *args, "--port", str(port)], port
    )


def _running(command: list[str], port: int) -> Iterator[tuple[subprocess.Popen[str], int]]:
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(
                        f"the server stopped: {server.stderr.read() if server.stderr else ''}"
                    )
                time.sleep(0.2)
        yield server, port
    finally:
        server.terminate()
        server.wait(timeout=30)
        for pipe in (server.stdout, server.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def served(demo_url: tuple[str, DemoSummary]) -> Iterator[tuple[subprocess.Popen[str], int]]:
    yield from _serving(demo_url[0], "--app", "workbench.demo")


def test_the_dashboard_is_served_on_127_0_0_1_and_says_where(
    served: tuple[subprocess.Popen[str], int],
) -> None:
    server, port = served
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as response:
        page = response.read().decode()
    assert response.status == 200
    assert "Event Sourcery workbench" in page
    server.terminate()
    out, _ = server.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in out


def test_with_a_password_the_dashboard_asks_for_a_login(
    demo_url: tuple[str, DemoSummary], tmp_path: Path
) -> None:
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"oncall": "s3cret"}))
    for _server, port in _serving(demo_url[0], "--basic-auth", str(users)):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as response:
            page = response.read().decode()
        assert "login" in response.url or "password" in page.lower()
        assert "Event Sourcery workbench" not in page


def test_a_url_without_a_store_is_refused_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "serve", f"sqlite:///{tmp_path / 'none.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "no event store at" in done.stderr
    assert not (tmp_path / "none.db").exists()


def test_panel_serve_runs_the_app_module_with_its_arguments(
    demo_url: tuple[str, DemoSummary],
) -> None:
    port = free_port()
    panel = str(Path(sys.executable).with_name("panel"))
    app = str(Path(__file__).resolve().parents[3] / "workbench" / "dashboard" / "app.py")
    command = [panel, "serve", app, "--port", str(port), "--args", demo_url[0]]
    for _server, _ in _running([*command, "--app", "workbench.demo"], port):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/app", timeout=60) as response:
            assert "Event Sourcery workbench" in response.read().decode()


def test_the_workbench_console_script_is_the_command_line() -> None:
    script = Path(sys.executable).with_name("workbench")
    done = subprocess.run(
        [str(script), "serve", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert "--allow-replay" in done.stdout


def test_replays_to_rabbitmq_need_replays_allowed(demo_url: tuple[str, DemoSummary]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "serve", demo_url[0], "--replay-to", "amqp://x/"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "give --allow-replay too" in done.stderr


def test_replay_to_makes_a_rabbitmq_publisher_of_that_exchange() -> None:
    from event_sourcery.outbox.rabbitmq import RabbitMQPublisher
    from workbench.dashboard.server import rabbitmq_publisher

    publisher = rabbitmq_publisher("amqp://guest:guest@127.0.0.1:5672/%2F", "replays")
    assert isinstance(publisher, RabbitMQPublisher)
    assert publisher.exchange == "replays"
    assert "guest:guest" not in publisher.url  # the password is not kept in the clear
