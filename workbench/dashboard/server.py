"""Serving the dashboard: one workbench shared by every browser session, on 127.0.0.1
unless told otherwise, read-only unless replays are allowed, behind a login if given a
password.

What guards it (Panel and Bokeh do the work; this module chooses the settings):

- **address**: 127.0.0.1 by default, so only this machine reaches it.
- **websocket origins**: Bokeh refuses (403) a websocket whose ``Origin`` is not in the
  allowlist: the served address and port (plus ``localhost`` and ``127.0.0.1`` on a loopback
  or wildcard address) and what ``--allow-websocket-origin`` adds. The page's data only ever
  travels over that websocket, so a page of another site cannot read it through the browser.
- **login**: with a password, Panel's basic auth puts its login page before every data
  endpoint (the page, ``/ws``, ``/autoload.js``, ``/metadata``); a login sets a ``user``
  cookie signed with the cookie secret: a random one per start unless ``PANEL_COOKIE_SECRET``
  (or ``BOKEH_COOKIE_SECRET``) is set, so logins end when the server restarts.
- **read-only**: the workbench is opened read-only unless replays are allowed.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from event_sourcery import Publisher
from workbench.errors import CannotListen, InvalidFilter
from workbench.workbench import Workbench

WILDCARDS = frozenset({"", "0.0.0.0", "::"})
"""Addresses that listen on every interface of the machine."""

_HINTS = {
    errno.EADDRINUSE: "the port is in use: pick another --port, or stop what listens there",
    errno.EADDRNOTAVAIL: "that address is not one of this machine's: see --address",
    errno.EACCES: "not allowed: ports below 1024 need root; pick a --port above 1024",
}


def basic_auth(value: str) -> str | dict[str, str]:
    """``--basic-auth``: a JSON file of ``{"user": "password"}``, or one password. A value
    that names a file which is not there (``users.json``, ``conf/users``) is refused rather
    than taken for the password."""
    path = Path(value)
    if not value:
        raise InvalidFilter("--basic-auth: give a password, or a JSON file of users")
    if path.exists() and not path.is_file():
        raise InvalidFilter(f"--basic-auth {value}: not a file")
    if not path.exists():
        if path.suffix == ".json":
            raise InvalidFilter(f"--basic-auth {value}: no such file")
        if "/" in value:  # a path to a file that is not there, or a password: echo neither
            raise InvalidFilter(
                "--basic-auth: no users file at the path given; a password holding '/' "
                'must be given in a JSON users file ({"user": "password"})'
            )
        return value
    try:
        users = json.loads(path.read_text())
    except (OSError, UnicodeError, ValueError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InvalidFilter(f"--basic-auth {value}: not a readable JSON file ({first})") from None
    if (
        not isinstance(users, dict)
        or not users
        or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in users.items())
    ):
        raise InvalidFilter(
            f'--basic-auth {value}: give a JSON object of {{"user": "password"}} (no empty '
            "passwords)"
        )
    return users


def is_loopback(address: str) -> bool:
    """Whether only this machine reaches ``address``."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def websocket_origins(address: str, port: int, extra: Sequence[str] = ()) -> list[str]:
    """The ``HOST:PORT`` origins whose pages may open the dashboard's websocket: the served
    address (and this machine's loopback names when it listens on loopback or everywhere),
    then ``extra`` (``--allow-websocket-origin``, e.g. a reverse proxy's name)."""
    if is_loopback(address) or address in WILDCARDS:
        served = [f"127.0.0.1:{port}", f"localhost:{port}"]
        if address not in ("127.0.0.1", "localhost", *WILDCARDS):
            served.append(f"[{address}]:{port}" if ":" in address else f"{address}:{port}")
    else:
        served = [f"[{address}]:{port}" if ":" in address else f"{address}:{port}"]
    return [*served, *(origin for origin in extra if origin not in served)]


def serve(
    url: str,
    *,
    apps: Sequence[str] = (),
    port: int = 5006,
    address: str = "127.0.0.1",
    allow_replay: bool = False,
    password: str | dict[str, str] | None = None,
    publisher: Publisher | None = None,
    allow_websocket_origin: Sequence[str] = (),
    start: bool = True,
) -> Any:
    """Open the store and serve the dashboard; blocks until stopped when ``start`` (otherwise
    the Bokeh server, listening but not started, is returned). ``publisher`` is where confirmed
    replays go (with ``allow_replay``). Raises ``CannotListen`` when the port or address cannot
    be had."""
    wb = Workbench.open(url, app=list(apps), read_only=not allow_replay)
    try:
        server = _listen(
            wb,
            port=port,
            address=address,
            password=password,
            publisher=publisher,
            extra_origins=allow_websocket_origin,
        )
    except BaseException:
        wb.close()
        raise
    shown = f"[{address}]" if ":" in address else address
    print(f"The dashboard is at http://{shown}:{server.port}/ (Ctrl+C stops it)", flush=True)
    if start:
        server.start()
        server.io_loop.start()
    return server


def _listen(
    wb: Workbench,
    *,
    port: int,
    address: str,
    password: str | dict[str, str] | None,
    publisher: Publisher | None,
    extra_origins: Sequence[str],
) -> Any:
    import panel as pn

    from workbench.dashboard.app import TITLE, build_dashboard

    auth: dict[str, Any] = {}
    if password is not None:
        auth = {"basic_auth": password, "cookie_secret": secrets.token_urlsafe(32)}
    try:
        return pn.serve(
            {"/": lambda: build_dashboard(wb, publisher)},
            port=port,
            address=address,
            websocket_origin=websocket_origins(address, port, extra_origins),
            show=False,
            title=TITLE,
            start=False,
            verbose=False,
            **auth,
        )
    except OSError as error:
        reason = _HINTS.get(error.errno or 0, error.strerror or str(error))
        if error.errno is None or error.errno < 0:  # getaddrinfo: a name it cannot resolve
            reason = f"{error.strerror or error}: give --address an address of this machine"
        raise CannotListen(address, port, reason) from None


def rabbitmq_publisher(url: str, exchange: str) -> Publisher:
    """``--replay-to``: replays go to RabbitMQ (the ``rabbitmq`` extra), connected on the
    first replay."""
    try:
        from event_sourcery.outbox.rabbitmq import RabbitMQPublisher
    except ImportError:
        raise InvalidFilter(
            "--replay-to needs pika: pip install 'python-event-sourcery[rabbitmq]'"
        ) from None
    return RabbitMQPublisher(url, exchange=exchange)
