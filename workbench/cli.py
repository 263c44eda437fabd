"""``python -m workbench``: the workbench's command line. ``demo`` builds the demo store,
``serve`` serves the dashboard; each subcommand is one function that takes the parsed
arguments and returns an exit code.

Every failure is one line on stderr, ``python -m workbench: error: ...``, with no traceback
and with any password of a URL shown as ``***``. The exit codes (``EXIT_CODES``):

- 0: done;
- 1: the command was right, but what it needed failed: the database server could not be
  reached or refused the user or the database name, the address or port could not be had,
  an ``--app`` module raised while being imported;
- 2: the command cannot work as given: a bad argument or URL, an unsupported database, no
  store at the URL (or a SQLite path that is no store's file), an ``--app`` module that does
  not exist, a bad ``--basic-auth`` file;
- 130: interrupted (Ctrl+C).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
)

from workbench.cli_errors import (
    DONE,
    FAILED,
    INTERRUPTED,
    USAGE_ERROR,
    Refused,
    first_line,
    masked,
    secrets,
    told,
)
from workbench.demo import DemoError, build_demo
from workbench.errors import InvalidFilter

EXIT_CODES = """exit codes: 0 done; 1 the database server, the address or an --app module
failed (the command was right); 2 the command cannot work as given (bad argument or URL, no
store there, no such --app module, bad --basic-auth file); 130 interrupted. Errors are one
line on stderr, passwords masked."""
Command = Callable[[argparse.Namespace], int]
_ORIGIN = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[\w*.-]+)(:(\d{1,5}|\*))?")
"""``HOST[:PORT]`` as Bokeh's allowlist takes it (``*`` for a whole octet or any port)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (argparse prints the usage first)."""

    def error(self, message: str) -> NoReturn:
        told = masked(message, ())
        self.exit(USAGE_ERROR, f"{self.prog}: error: {told} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand."""
    parser = _Parser(
        prog="python -m workbench",
        description="The Event Sourcery workbench.",
        epilog=EXIT_CODES,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="build the demo store: six months of a subscription-billing business",
        description="Build the demo store: subscriptions, invoices, snapshots (one of them "
        "drifted), old-schema events and an outbox history. The same seed builds the same "
        "store.",
        epilog=EXIT_CODES,
    )
    target = demo.add_mutually_exclusive_group(required=True)
    target.add_argument("--db", type=Path, help="the SQLite file to create")
    target.add_argument("--url", help="the URL of an empty store (e.g. postgresql://user@host/db)")
    demo.add_argument("--events", type=_at_least_one, default=100_000, help="default 100000")
    demo.add_argument("--seed", type=int, default=0, help="default 0")
    demo.add_argument("--force", action="store_true", help="delete the --db file first")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(run=_demo)
    serve = commands.add_parser(
        "serve",
        help="serve the dashboard",
        description="Serve the dashboard of the store at URL: on 127.0.0.1, read-only unless "
        "--allow-replay, to everyone who reaches the address unless --basic-auth. With "
        "--basic-auth, logins are signed with a secret made at each start (PANEL_COOKIE_SECRET "
        "sets one that outlives restarts).",
        epilog=EXIT_CODES,
    )
    serve.add_argument("url", metavar="URL", help="e.g. sqlite:///demo.db")
    serve.add_argument(
        "--app", action="append", default=[], metavar="MODULE", help="import to register events"
    )
    serve.add_argument("--port", type=_port, default=5006, help="default 5006")
    serve.add_argument(
        "--address",
        default="127.0.0.1",
        help="default 127.0.0.1 (this machine only); 0.0.0.0 listens on every interface",
    )
    serve.add_argument("--allow-replay", action="store_true", help="show the replay controls")
    serve.add_argument(
        "--basic-auth",
        metavar="PASSWORD|FILE",
        help='a login before the dashboard: a JSON file of {"user": "password"} (better: a '
        "password on the command line shows in the process list), or one password",
    )
    serve.add_argument(
        "--allow-websocket-origin",
        action="append",
        default=[],
        type=_origin,
        metavar="HOST[:PORT]",
        help="another origin whose pages may open the dashboard (a reverse proxy's name, the "
        "name browsers use for a 0.0.0.0 address); repeatable. Default: the served address",
    )
    serve.add_argument(
        "--replay-to",
        metavar="AMQP_URL",
        help="with --allow-replay: confirmed replays are published to this RabbitMQ",
    )
    serve.add_argument(
        "--exchange", default="event_sourcery", help="the --replay-to exchange (event_sourcery)"
    )
    serve.set_defaults(run=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit code (see ``EXIT_CODES``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # argparse printed the help, or its one-line error
        return done.code if isinstance(done.code, int) else USAGE_ERROR
    run: Command = args.run
    try:
        return run(args)
    except KeyboardInterrupt:
        return _fail(parser, args, "interrupted", INTERRUPTED)
    except Exception as error:
        line = told(error, args)
        if line is None:
            raise  # a bug: its traceback is what to report
        return _fail(parser, args, *line)


def _demo(args: argparse.Namespace) -> int:
    if args.db is not None:
        path: Path = args.db
        if path.is_dir():
            raise DemoError(
                f"{path} is a folder: give the SQLite file to create, e.g. {path}/demo.db"
            )
        if not path.parent.is_dir():
            raise DemoError(f"{path}: there is no folder {path.parent}; create it first")
        if args.force:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        elif path.exists():
            raise DemoError(f"{path} already exists: pass --force to delete it and build again")
        url, label = f"sqlite:///{path}", str(path)
    else:
        if args.force:
            raise DemoError("--force deletes a --db file only; empty the --url database yourself")
        url = args.url
        parsed = _database_url(url)
        label = parsed.render_as_string(hide_password=True)
        if parsed.get_backend_name() == "sqlite" and Path(str(parsed.database)).is_dir():
            raise DemoError(f"{label} is a folder: give a SQLite file to create in it")
    summary = build_demo(url, events=args.events, seed=args.seed, progress=not args.quiet)
    print(f"{label}: {summary}")
    return DONE


def _serve(args: argparse.Namespace) -> int:
    from workbench.dashboard import server  # Panel loads only for this command

    if args.replay_to is not None and not args.allow_replay:
        raise InvalidFilter("--replay-to sends replays: give --allow-replay too")
    _database_url(args.url)
    _import_apps(args.app)
    password = None if args.basic_auth is None else server.basic_auth(args.basic_auth)
    publisher = (
        None if args.replay_to is None else server.rabbitmq_publisher(args.replay_to, args.exchange)
    )
    running = server.serve(
        args.url,
        apps=args.app,
        port=args.port,
        address=args.address,
        allow_replay=args.allow_replay,
        password=password,
        publisher=publisher,
        allow_websocket_origin=args.allow_websocket_origin,
        start=False,
    )
    for warning in _warnings(args):
        print(f"python -m workbench: warning: {warning}", file=sys.stderr, flush=True)
    running.start()
    running.io_loop.start()
    return DONE


def _warnings(args: argparse.Namespace) -> Iterator[str]:
    from workbench.dashboard.server import WILDCARDS, is_loopback

    if not is_loopback(args.address) and args.basic_auth is None:
        yield (
            f"serving on {args.address} without --basic-auth: anyone who reaches this "
            "machine can read the store"
        )
    if args.address in WILDCARDS and not args.allow_websocket_origin:
        yield (
            "browsers on other machines see an empty page until --allow-websocket-origin "
            "names the HOST:PORT they open"
        )
    if os.environ.get("BOKEH_ALLOW_WS_ORIGIN"):
        yield (
            "BOKEH_ALLOW_WS_ORIGIN is set: Bokeh lets in the websocket origins it names "
            "instead of the served address and --allow-websocket-origin"
        )


def _database_url(url: str) -> URL:
    """``url`` parsed, or a usage error that names it (password masked)."""
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        raise Refused(
            f"{url!r} is not a database URL: give e.g. sqlite:///demo.db or "
            "postgresql+psycopg://user@host/db",
            USAGE_ERROR,
        ) from None


def _import_apps(names: Sequence[str]) -> None:
    """Import each ``--app`` module now, so that a missing or broken one is told plainly."""
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as error:  # the app's own code too: tell it, do not crash on it
            missing = error.name if isinstance(error, ModuleNotFoundError) else None
            if missing is not None and f"{name}.".startswith(f"{missing}."):  # not its import
                raise Refused(
                    f"--app {name}: no such module (run from the folder that holds it, or "
                    "add that folder to PYTHONPATH)",
                    USAGE_ERROR,
                ) from None
            raise Refused(f"--app {name} failed on import: {first_line(error)}", FAILED) from None


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1 to 65535)")
    return value


def _origin(text: str) -> str:
    if _ORIGIN.fullmatch(text) is None or text.split(":", maxsplit=1)[0] == "*":
        raise argparse.ArgumentTypeError(
            f"{text!r} is not HOST[:PORT] (e.g. dash.example.com:443; no scheme, no path)"
        )
    return text.lower()


def _fail(
    parser: argparse.ArgumentParser, args: argparse.Namespace, message: str, code: int
) -> int:
    line = " ".join(masked(message, secrets(args)).split())
    print(f"{parser.prog}: error: {line}", file=sys.stderr)
    return code
