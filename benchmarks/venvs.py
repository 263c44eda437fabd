"""Create the peers' virtual environments once and reuse them afterwards.

Each peer gets ``.bench/venvs/<key>`` with exactly its pinned requirements. A
``requirements.txt`` written after a successful install marks the venv as ready;
when the pins change (for example our psycopg was upgraded), the venv is rebuilt.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

from benchmarks.implementations import Implementation

VENVS = Path(__file__).resolve().parent.parent / ".bench" / "venvs"


def peer_python(implementation: Implementation) -> Path:
    """The interpreter of a peer's venv, creating and installing it if needed."""
    root = VENVS / implementation.key
    python = root / "bin" / "python"
    stamp = root / "requirements.txt"
    wanted = "\n".join(implementation.requirements) + "\n"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    print(f"setting up {root} (first run only): {' '.join(implementation.requirements)}")
    shutil.rmtree(root, ignore_errors=True)
    venv.EnvBuilder(with_pip=True).create(root)
    install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    done = subprocess.run(
        [*install, *implementation.requirements], check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(
            f"could not install {implementation.label} into {root}; "
            "rerun with --skip-peers to measure ours and raw only"
        )
    stamp.write_text(wanted)
    return python
