"""``python -m workbench``: the workbench's command line. ``demo`` builds the demo store;
each subcommand is one function that takes the parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from event_sourcery import EventStoreError
from workbench.demo import DemoError, build_demo
from workbench.errors import InvalidFilter, WorkbenchError

USAGE_ERROR = 2
Command = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (argparse prints the usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand."""
    parser = _Parser(prog="python -m workbench", description="The Event Sourcery workbench.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="build the demo store: six months of a subscription-billing business",
        description="Build the demo store: subscriptions, invoices, snapshots (one of them "
        "drifted), old-schema events and an outbox history. The same seed builds the same "
        "store.",
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
        description="Serve the dashboard of the store at URL (read-only unless --allow-replay).",
    )
    serve.add_argument("url", metavar="URL", help="e.g. sqlite:///demo.db")
    serve.add_argument(
        "--app", action="append", default=[], metavar="MODULE", help="import to register events"
    )
    serve.add_argument("--port", type=int, default=5006, help="default 5006")
    serve.add_argument("--address", default="127.0.0.1", help="default 127.0.0.1")
    serve.add_argument("--allow-replay", action="store_true", help="show the replay controls")
    serve.add_argument(
        "--basic-auth",
        metavar="PASSWORD|FILE",
        help='a password, or a JSON file of {"user": "password"}',
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
    """Run the command line; the exit code (2: bad arguments or a store in the way)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # argparse printed the help, or its one-line error
        return done.code if isinstance(done.code, int) else USAGE_ERROR
    run: Command = args.run
    try:
        return run(args)
    except (DemoError, EventStoreError, WorkbenchError) as error:
        return _fail(parser, str(error), USAGE_ERROR)
    except SQLAlchemyError as error:
        return _fail(parser, f"the database failed: {str(error).splitlines()[0]}", 1)
    except KeyboardInterrupt:
        return _fail(parser, "interrupted", 130)


def _demo(args: argparse.Namespace) -> int:
    if args.db is not None:
        path: Path = args.db
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
        try:
            label = make_url(url).render_as_string(hide_password=True)
        except ArgumentError:
            raise DemoError(f"{url!r} is not a database URL") from None
    summary = build_demo(url, events=args.events, seed=args.seed, progress=not args.quiet)
    print(f"{label}: {summary}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from workbench.dashboard import server  # Panel loads only for this command

    if args.replay_to is not None and not args.allow_replay:
        raise InvalidFilter("--replay-to sends replays: give --allow-replay too")
    password = None if args.basic_auth is None else server.basic_auth(args.basic_auth)
    publisher = (
        None if args.replay_to is None else server.rabbitmq_publisher(args.replay_to, args.exchange)
    )
    server.serve(
        args.url,
        apps=args.app,
        port=args.port,
        address=args.address,
        allow_replay=args.allow_replay,
        password=password,
        publisher=publisher,
    )
    return 0


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _fail(parser: argparse.ArgumentParser, message: str, code: int) -> int:
    print(f"{parser.prog}: error: {message}", file=sys.stderr)
    return code
