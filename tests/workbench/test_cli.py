"""``python -m workbench`` refusing what it cannot do: each case runs the real command in a
subprocess and gets one line on stderr, no traceback, no password, and the exit code of its
kind (2: the command cannot work as given; 1: what it needed failed)."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from workbench import cli, cli_errors
from workbench.dashboard.server import websocket_origins
from workbench.demo import build_demo

REPO = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-pw"
"""The password of every URL below: it must never be printed."""


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    code: int
    says: str


def cases(folder: Path, store: str, taken_port: int) -> dict[str, Case]:
    """Every refusal tried, by name; ``folder`` holds the files they name."""
    closed = f"postgresql+psycopg://me:{SECRET}@127.0.0.1:1/events"
    users = folder / "users"
    serve = ("serve", store)
    return {
        "unparseable URL": Case(("serve", "not a url"), 2, "'not a url' is not a database URL"),
        "unknown scheme": Case(
            ("serve", f"mysql://me:{SECRET}@host/db"), 2, "'mysql' is not a supported database"
        ),
        "missing SQLite file": Case(
            ("serve", f"sqlite:///{folder / 'none.db'}"), 2, "no event store at sqlite:///"
        ),
        "directory for a SQLite file": Case(("serve", f"sqlite:///{folder}"), 2, "no event store"),
        "directory for --db": Case(("demo", "--db", str(folder), "--force"), 2, "is a folder"),
        "closed PostgreSQL port": Case(
            ("serve", closed),
            1,
            "cannot open postgresql+psycopg://me:***@127.0.0.1:1/events: connection refused — "
            "is the server running",
        ),
        "closed PostgreSQL port (demo)": Case(
            ("demo", "--url", closed, "--events", "10"), 1, "connection refused — is the server"
        ),
        "--app that does not exist": Case(
            (*serve, "--app", "no_such_app_module"), 2, "--app no_such_app_module: no such module"
        ),
        "--app that raises on import": Case(
            (*serve, "--app", "raising_app"), 1, "--app raising_app failed on import: RuntimeError"
        ),
        "--app whose import fails": Case(
            (*serve, "--app", "importing_app"),
            1,
            "--app importing_app failed on import: ModuleNotFoundError: No module named 'nowhere'",
        ),
        "--basic-auth file that is not JSON": Case(
            (*serve, "--basic-auth", str(users / "broken.json")), 2, "not a readable JSON file"
        ),
        "port in use": Case(
            (*serve, "--port", str(taken_port)), 1, f":{taken_port}: the port is in use"
        ),
        "address not of this machine": Case(
            (*serve, "--address", "192.0.2.1"), 1, "192.0.2.1:5006: that address is not one"
        ),
    }


def in_process_cases(folder: Path, store: str) -> dict[str, Case]:
    """Refusals that need no process of their own (``main`` in this one tells them the same)."""
    serve = ("serve", store)
    return {
        "unknown scheme (demo)": Case(
            ("demo", "--url", f"oracle://me:{SECRET}@host/db"), 2, "not a supported database"
        ),
        "directory for --url": Case(("demo", "--url", f"sqlite:///{folder}"), 2, "is a folder"),
        "no folder for --url": Case(
            ("demo", "--url", f"sqlite:///{folder / 'none' / 'x.db'}", "--quiet"),
            2,
            "unable to open database file — does its folder exist",
        ),
        "a file that is no SQLite database": Case(
            ("serve", f"sqlite:///{folder / 'users' / 'list.json'}"), 2, "is not a database"
        ),
        "--basic-auth directory": Case(
            (*serve, "--basic-auth", str(folder / "users")), 2, "not a file"
        ),
        "URL with a bad port": Case(
            ("serve", f"postgresql://me:{SECRET}@host:port/db"), 2, "is not a database URL"
        ),
        "--basic-auth file of no users": Case(
            (*serve, "--basic-auth", str(folder / "users" / "list.json")),
            2,
            'give a JSON object of {"user"',
        ),
        "--basic-auth file that is not there": Case(
            (*serve, "--basic-auth", str(folder / "users" / "missing.json")), 2, "no such file"
        ),
        "--basic-auth password holding a slash": Case(
            (*serve, "--basic-auth", f"kQ3/{SECRET}=="), 2, "must be given in a JSON users file"
        ),
        "origin given as a URL": Case(
            (*serve, "--allow-websocket-origin", "https://dash.example/"), 2, "is not HOST[:PORT]"
        ),
    }


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def run(args: tuple[str, ...], cwd: Path) -> Outcome:
    done = subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo store (``store.db``), two broken ``--app`` modules and ``--basic-auth``
    files that are no list of users."""
    folder = tmp_path_factory.mktemp("cli")
    build_demo(f"sqlite:///{folder / 'store.db'}", events=50, progress=False)
    (folder / "raising_app.py").write_text("raise RuntimeError('the app is broken')\n")
    (folder / "importing_app.py").write_text("import nowhere\n")
    users = folder / "users"
    users.mkdir()
    (users / "broken.json").write_text('{"oncall": ')
    (users / "list.json").write_text(json.dumps(["oncall"]))
    return folder


@pytest.fixture(scope="module")
def taken_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.fixture(scope="module")
def outcomes(folder: Path, taken_port: int) -> dict[str, tuple[Case, Outcome]]:
    """Every case's outcome, the commands run side by side (one per CPU)."""
    tried = cases(folder, f"sqlite:///{folder / 'store.db'}", taken_port)
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        ran = pool.map(lambda case: run(case.args, folder), tried.values())
        done = dict(zip(tried, ran, strict=True))
    return {name: (tried[name], done[name]) for name in tried}


def assert_told_in_one_line(case: Case, outcome: Outcome) -> None:
    assert "Traceback" not in outcome.stderr
    assert SECRET not in outcome.stderr + outcome.stdout
    assert outcome.stdout == ""
    [line] = outcome.stderr.splitlines()
    assert line.startswith("python -m workbench")
    assert "error: " in line
    assert case.says in line
    assert outcome.code == case.code, line


@pytest.mark.parametrize("name", list(cases(Path("x"), "sqlite:///x", 1)))
def test_a_command_that_cannot_run_says_why_in_one_line_with_its_exit_code(
    name: str, outcomes: dict[str, tuple[Case, Outcome]]
) -> None:
    assert_told_in_one_line(*outcomes[name])


@pytest.mark.parametrize("name", list(in_process_cases(Path("x"), "sqlite:///x")))
def test_main_refuses_in_one_line_too(
    name: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = in_process_cases(folder, f"sqlite:///{folder / 'store.db'}")[name]
    code = cli.main(case.args)
    out, err = capsys.readouterr()
    assert_told_in_one_line(case, Outcome(code, out, err))


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"database": "no_such_db"}, 'database "no_such_db" does not exist — check the'),
        ({"username": "no_such_user"}, 'role "no_such_user" does not exist — check the user'),
    ],
    ids=["wrong database", "wrong user"],
)
def test_a_postgresql_server_that_refuses_the_url_is_told_in_one_line(
    change: dict[str, str], says: str, postgres_url: str, folder: Path
) -> None:
    wrong = make_url(postgres_url).set(password=SECRET, query={}, **change)
    args = ("serve", wrong.render_as_string(hide_password=False))
    assert_told_in_one_line(Case(args, 1, says), run(args, folder))


def test_the_help_tells_the_exit_codes() -> None:
    done = run(("serve", "--help"), REPO)
    assert done.code == 0
    assert "exit codes: 0 done; 1 the database server" in " ".join(done.stdout.split())
    for parser in (cli.build_parser(), *_subparsers(cli.build_parser())):
        assert "exit codes: 0 done;" in parser.format_help()


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(commands.choices.values())


def test_the_websocket_origins_are_the_served_address_and_the_ones_named() -> None:
    assert websocket_origins("127.0.0.1", 5006) == ["127.0.0.1:5006", "localhost:5006"]
    assert websocket_origins("0.0.0.0", 80, ["dash.example"]) == [
        "127.0.0.1:80",
        "localhost:80",
        "dash.example",
    ]
    assert websocket_origins("192.168.1.5", 5006) == ["192.168.1.5:5006"]
    assert "[::1]:5006" in websocket_origins("::1", 5006)


def test_serving_beyond_this_machine_warns_without_a_login_or_named_origins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BOKEH_ALLOW_WS_ORIGIN", raising=False)

    def warnings(*args: str) -> list[str]:
        parsed = cli.build_parser().parse_args(["serve", "sqlite:///x.db", *args])
        assert isinstance(parsed, argparse.Namespace)
        return list(cli._warnings(parsed))

    assert warnings() == []
    assert warnings("--address", "localhost") == []
    [login] = warnings("--address", "192.168.1.5")
    assert "without --basic-auth" in login
    assert warnings("--address", "192.168.1.5", "--basic-auth", "pw") == []
    everywhere = warnings("--address", "0.0.0.0", "--basic-auth", "pw")
    assert ["--allow-websocket-origin" in line for line in everywhere] == [True]
    named = warnings("--address", "0.0.0.0", "--basic-auth", "pw", "--allow-websocket-origin", "a")
    assert named == []
    monkeypatch.setenv("BOKEH_ALLOW_WS_ORIGIN", "*")
    [overridden] = warnings()
    assert overridden.startswith("BOKEH_ALLOW_WS_ORIGIN is set")


def test_a_url_password_holding_an_at_sign_is_masked_whole() -> None:
    url = f"postgresql://me:a@{SECRET}@db/x"
    args = cli.build_parser().parse_args(["serve", url])
    line = cli_errors.masked(f"cannot open {url}", cli_errors.secrets(args))
    assert line == "cannot open postgresql://me:***@db/x"
