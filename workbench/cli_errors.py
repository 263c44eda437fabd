"""How the command line tells a failure: one line, its exit code, passwords masked."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)

from event_sourcery import EventStoreError, StoreUnavailable, UnsupportedURL
from workbench.demo import DemoError
from workbench.errors import CannotListen, WorkbenchError

DONE, FAILED, USAGE_ERROR, INTERRUPTED = 0, 1, 2, 130
"""The exit codes; cli.EXIT_CODES says what each means."""
_PASSWORD_IN_URL = re.compile(r"(\w[\w+.-]*://[^:/@\s]*:)([^@\s]+)(@)")
_HINTS = (
    ("connection refused", "is the server running, and listening at that host and port?"),
    ('role "', "check the user in the URL"),
    ('database "', "check the database name in the URL"),
    ("does not exist", "check the names in the URL"),
    ("authentication failed", "check the user and password in the URL"),
    ("no password supplied", "put the password in the URL (user:password@host)"),
    ("name or service not known", "check the host in the URL"),
    ("could not translate host name", "check the host in the URL"),
    ("timeout", "is the host reachable from here?"),
    ("timed out", "is the host reachable from here?"),
    ("unable to open database file", "does its folder exist, and is it a file?"),
    ("file is not a database", "is it an event store's SQLite file?"),
)


class Refused(Exception):
    """A failure the command line tells in one line, with its exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def told(error: Exception, args: argparse.Namespace) -> tuple[str, int] | None:
    """The line and exit code that tell ``error``, or ``None`` for one not foreseen."""
    if isinstance(error, Refused):
        return str(error), error.code
    refusal = _database_refusal(error)
    if refusal is not None:  # a SQLite file's is the path given; a server's, the server
        where = _where(args)
        code = USAGE_ERROR if where.startswith("sqlite") else FAILED
        return f"cannot open {where}: {_reason(refusal)}", code
    if isinstance(error, CannotListen):
        return str(error), FAILED
    if isinstance(error, (DemoError, WorkbenchError, UnsupportedURL)):
        return str(error), USAGE_ERROR
    if isinstance(error, (EventStoreError, SQLAlchemyError)):
        return first_line(error), FAILED
    return None


def _database_refusal(error: BaseException) -> BaseException | None:
    """The database driver's error behind ``error`` when ``error`` says the database could
    not be reached or refused the connection: the driver's own error, SQLAlchemy's wrapper of
    one, or ``StoreUnavailable`` (made from one)."""
    if isinstance(error, StoreUnavailable) and not isinstance(error, DBAPIError):
        if error.__context__ is None:
            return None
        error = error.__context__
    if isinstance(error, (OperationalError, InterfaceError)):  # not a statement's failure
        return error.orig if isinstance(error.orig, BaseException) else error
    if isinstance(error, DBAPIError):
        return None
    return error if _is_driver_error(error) else None


def _reason(refusal: BaseException) -> str:
    """What the driver said, with a hint of what to check."""
    said = first_line(refusal, with_type=False)
    said = said.rsplit(" failed: ", 1)[-1].strip().rstrip(".")  # psycopg: "... port 1 failed: X"
    said = re.sub(r"^(FATAL|ERROR):\s*", "", said)  # PostgreSQL's severity
    if said[1:2].islower():
        said = said[:1].lower() + said[1:]
    for clue, hint in _HINTS:
        if clue in said.lower():
            return f"{said} — {hint}"
    return said


def _is_driver_error(error: BaseException) -> bool:
    """Whether ``error`` is a DB-API driver's (PEP 249: its module has ``Error`` and
    ``OperationalError``); the library lets some through when it cannot connect."""
    module = sys.modules.get(type(error).__module__.partition(".")[0])
    base = getattr(module, "Error", None)
    return (
        hasattr(module, "OperationalError") and isinstance(base, type) and isinstance(error, base)
    )


def _where(args: argparse.Namespace) -> str:
    url = getattr(args, "url", None) or f"sqlite:///{args.db}"
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "the database"


def first_line(error: BaseException, *, with_type: bool = True) -> str:
    lines = str(error).strip().splitlines()
    said = lines[0] if lines else ""
    if not with_type:
        return said or type(error).__name__
    return f"{type(error).__name__}: {said}" if said else type(error).__name__


def secrets(args: argparse.Namespace) -> list[str]:
    """The passwords given: of the URLs, as typed and decoded, and ``--basic-auth``'s."""
    found: list[str] = []
    for name in ("url", "replay_to"):
        value = getattr(args, name, None)
        if not isinstance(value, str):
            continue
        try:
            password = urlsplit(value).password
        except ValueError:
            continue
        if password:
            found += [password, unquote(password)]
    login = getattr(args, "basic_auth", None)
    if isinstance(login, str) and not Path(login).is_file():  # a password, not a users file
        found.append(login)
    return [secret for secret in found if len(secret) >= 3]


def masked(line: str, secrets: Sequence[str]) -> str:
    """``line`` with every URL's password and every one of ``secrets`` shown as ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):  # first: a password may hold "@"
        line = line.replace(secret, "***")
    return _PASSWORD_IN_URL.sub(r"\1***\3", line)
