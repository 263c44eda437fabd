"""A throw-away PostgreSQL cluster of a test's own, to stop, restart and reconfigure at will
(the shared server on 5432 is never touched): initdb into a temporary directory, pg_ctl on
a free port of 127.0.0.1 with its unix socket in that directory, removed on ``close()``.

As root the server runs as the ``postgres`` user (``runuser``), which owns the directory.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.ports import free_port

_BIN_DIRS = "/usr/lib/postgresql/*/bin"
_SETTINGS = (
    "listen_addresses = '127.0.0.1'",
    "fsync = off",  # a throw-away cluster: durability on disk proves nothing here
    "full_page_writes = off",
    "shared_buffers = 16MB",
    "max_connections = 50",
    "log_min_messages = warning",
)


class Unavailable(Exception):
    """No PostgreSQL binaries (or no user to run them as) on this machine."""


def find_bin_dir() -> Path:
    """The directory of ``initdb`` and ``pg_ctl``: on PATH, else the newest Debian install."""
    on_path = shutil.which("initdb")
    if on_path is not None and shutil.which("pg_ctl") is not None:
        return Path(on_path).parent
    for found in sorted(glob.glob(_BIN_DIRS), key=_major, reverse=True):
        if (Path(found) / "initdb").exists() and (Path(found) / "pg_ctl").exists():
            return Path(found)
    raise Unavailable(f"no initdb/pg_ctl on PATH or in {_BIN_DIRS}")


def _major(path: str) -> int:
    version = Path(path).parent.name
    return int(version) if version.isdigit() else 0


class PrivatePostgres:
    """One cluster: ``url`` (database ``postgres``, user ``postgres``, trust auth),
    ``stop(mode)``, ``start()``, ``restart(pause)`` and ``close()`` (stop and remove)."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        self.bin_dir = bin_dir or find_bin_dir()
        self._as_user: Sequence[str] = ()
        owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("running as root and there is no 'postgres' user") from None
            if shutil.which("runuser") is None:
                raise Unavailable("running as root and there is no runuser")
            self._as_user = ("runuser", "-u", "postgres", "--")
        self.directory = Path(tempfile.mkdtemp(prefix="es-private-pg-"))
        if owner is not None:
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.port = free_port()
        self.running = False
        try:
            self._run("initdb", "-N", "-D", str(self.data), "-U", "postgres", "--auth=trust")
            with (self.data / "postgresql.conf").open("a") as conf:
                conf.write("\n".join((*_SETTINGS, f"port = {self.port}", "")))
                conf.write(f"unix_socket_directories = '{self.directory}'\n")
            self.start()
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log))
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """``fast``: sessions are terminated (as on a restart); ``immediate``: the server
        quits at once and recovers from WAL at the next start (as after a crash)."""
        self._run("pg_ctl", "stop", "-w", "-t", "60", "-m", mode, "-D", str(self.data))
        self.running = False

    def restart(self, pause: float = 0.0, mode: str = "fast") -> None:
        """Stop, stay down ``pause`` seconds, start again."""
        self.stop(mode)
        time.sleep(pause)
        self.start()

    def close(self) -> None:
        if self.running:
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def server_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _run(self, program: str, *args: str) -> None:
        command = [*self._as_user, str(self.bin_dir / program), *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise subprocess.CalledProcessError(
                done.returncode, command, done.stdout, done.stderr + self.server_log()[-2000:]
            )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A cluster for a test module (closed afterwards, whatever happens); skips when this
    machine has no PostgreSQL binaries, and fails instead when
    EVENT_SOURCERY_REQUIRE_SERVICES=1 (as ``tests/conftest.py`` treats the shared server)."""
    import pytest

    try:
        cluster = PrivatePostgres()
    except Unavailable as error:
        reason = f"no private PostgreSQL cluster: {error}"
        if os.environ.get("EVENT_SOURCERY_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} (EVENT_SOURCERY_REQUIRE_SERVICES=1)")
        pytest.skip(reason)
    with cluster:
        yield cluster
