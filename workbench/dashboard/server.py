"""Serving the dashboard: one workbench shared by every browser session, on 127.0.0.1
unless told otherwise, read-only unless replays are allowed, behind a password if given."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from event_sourcery import Publisher
from workbench.errors import InvalidFilter
from workbench.workbench import Workbench


def basic_auth(value: str) -> str | dict[str, str]:
    """``--basic-auth``: a JSON file of ``{"user": "password"}``, or one password."""
    path = Path(value)
    if not path.is_file():
        return value
    try:
        users = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise InvalidFilter(f"--basic-auth {value}: not a readable JSON file ({error})") from None
    if not isinstance(users, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in users.items()
    ):
        raise InvalidFilter(f'--basic-auth {value}: give a JSON object of {{"user": "password"}}')
    return users


def serve(
    url: str,
    *,
    apps: Sequence[str] = (),
    port: int = 5006,
    address: str = "127.0.0.1",
    allow_replay: bool = False,
    password: str | dict[str, str] | None = None,
    publisher: Publisher | None = None,
    start: bool = True,
) -> Any:
    """Open the store and serve the dashboard; blocks until stopped when ``start``.
    ``publisher`` is where confirmed replays go (with ``allow_replay``)."""
    import panel as pn

    from workbench.dashboard.app import TITLE, build_dashboard

    wb = Workbench.open(url, app=list(apps), read_only=not allow_replay)
    origins = [f"{address}:{port}"] + ([f"localhost:{port}"] if address == "127.0.0.1" else [])
    auth: dict[str, Any] = {}
    if password is not None:
        auth = {"basic_auth": password, "cookie_secret": secrets.token_urlsafe(32)}
    print(f"The dashboard is at http://{address}:{port}/ (Ctrl+C stops it)", flush=True)
    return pn.serve(
        {"/": lambda: build_dashboard(wb, publisher)},
        port=port,
        address=address,
        websocket_origin=origins,
        show=False,
        title=TITLE,
        start=start,
        verbose=False,
        **auth,
    )


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
