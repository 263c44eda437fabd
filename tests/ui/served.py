"""What the browser tests look at: the demo store with one hostile event appended, and the
dashboard served from it by ``python -m workbench serve`` in a subprocess."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import pytest

from event_sourcery import Envelope, Event, EventRegistry, StreamId, connect
from tests.ports import free_port
from workbench.demo import DemoSummary, build_demo

STARTUP_SECONDS = 60
XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '<img src=x onerror="window.__xss=1">'
HOSTILE_STREAM = StreamId(name=f"note {XSS_SCRIPT}{XSS_IMG}", category="hostile")


class HostileNote(Event):
    """An event whose payload is markup that would set ``window.__xss`` if it ever ran."""

    __event_name__: ClassVar[str] = "ui.HostileNote"
    text: str
    html: str


def build_store(url: str) -> DemoSummary:
    """The demo store of 2,000 events (seed 3), then a HostileNote a minute after them in
    ``HOSTILE_STREAM``, whose name is markup too."""
    summary = build_demo(url, events=2_000, seed=3, progress=False)
    assert summary.last_event_at is not None
    registry = EventRegistry()
    registry.add(HostileNote, HostileNote.__event_name__)
    store = connect(url, registry=registry)
    try:
        note = HostileNote(text=XSS_SCRIPT, html=XSS_IMG)
        at = summary.last_event_at + timedelta(minutes=1)
        store.append(Envelope(event=note, created_at=at), stream_id=HOSTILE_STREAM)
    finally:
        store.close()
    return summary


@dataclass(frozen=True)
class Served:
    """A dashboard served in a subprocess: its base URL, port, process and output log."""

    base: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def serving(url: str, *options: str, log: Path) -> Iterator[str]:
    """``python -m workbench serve URL --app workbench.demo OPTIONS`` on a free port, its
    output in ``log``: its base URL once the port accepts connections; stopped afterwards."""
    with served_process(url, *options, log=log) as served:
        yield served.base


@contextmanager
def served_process(url: str, *options: str, log: Path) -> Iterator[Served]:
    """As ``serving``, but the whole ``Served`` (for tests of the process and its socket)."""
    port = free_port()
    command = [sys.executable, "-m", "workbench", "serve", url, "--app", "workbench.demo"]
    with log.open("w") as output:
        server = subprocess.Popen(
            [*command, *options, "--port", str(port)], stdout=output, stderr=subprocess.STDOUT
        )
        try:
            _wait_for(port, server, log)
            yield Served(f"http://127.0.0.1:{port}/", port, server, log)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def listening_sockets(pid: int) -> set[tuple[str, int]]:
    """The ``(address, port)`` of every TCP socket process ``pid`` listens on, read from
    Linux's ``/proc`` (its open sockets' inodes, matched in ``/proc/net/tcp`` and ``tcp6``)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = set()
    for table in ("tcp", "tcp6"):
        for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == _LISTEN and inode in inodes:
                address, port = local.split(":")
                found.add((_address(address), int(port, 16)))
    return found


_LISTEN = "0A"


def _address(hexed: str) -> str:
    """An address as ``/proc/net/tcp*`` shows it (32-bit words in host byte order)."""
    words = [bytes.fromhex(hexed[i : i + 8])[::-1] for i in range(0, len(hexed), 8)]
    return str(ipaddress.ip_address(b"".join(words)))


def _wait_for(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the dashboard server stopped ({server.returncode}):\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the dashboard server never listened on {port}:\n{log.read_text()}")
