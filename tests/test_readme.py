"""Every Python example in the README runs, and does what the README says."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def _block(marker: str) -> str:
    [block] = [b for b in _python_blocks() if marker in b]
    return block


def _run(code: str, cwd: Path) -> str:
    script = cwd / "example.py"
    script.write_text(code)
    done = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_python_block_is_covered_by_a_test() -> None:
    markers = (
        "from event_sourcery import configure_models",
        "AccountOpened",
        "class Account(Aggregate)",
        "class OrderShipped(Event)",
        "class InvoicePaid(Event)",
        "get_outbox(session)",
        "from workbench import Workbench",
        "MyBackendHarness",
    )
    assert len(_python_blocks()) == len(markers)
    for marker in markers:
        _block(marker)


def test_the_seed_quick_start_stores_the_event_in_sqlite(tmp_path: Path) -> None:
    _run(_block("from event_sourcery import configure_models"), tmp_path)
    with sqlite3.connect(tmp_path / "events.db") as db:
        rows = db.execute("SELECT type, data FROM event_sourcery_events").fetchall()
    assert len(rows) == 1
    assert rows[0][0] == "CustomerSubscribed"
    assert '"model":"yearly"' in rows[0][1].replace(" ", "")


@pytest.mark.postgres
def test_the_seed_quick_start_runs_unchanged_on_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    code = _block("from event_sourcery import configure_models")
    assert code.count('"sqlite:///events.db"') == 1
    _run(code.replace('"sqlite:///events.db"', repr(postgres_url)), tmp_path)
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT data->>'model' FROM event_sourcery_events WHERE type = :t"),
            {"t": "CustomerSubscribed"},
        ).scalars()
        assert "yearly" in list(stored)
    engine.dispose()


def test_the_tour_runs_and_prints_what_it_promises(tmp_path: Path) -> None:
    output = _run(_block("AccountOpened"), tmp_path).splitlines()
    assert output[0] == "2 3"
    assert [line.split()[0] for line in output[1:4]] == ["2", "3", "4"]
    assert output[-1] == "bank.MoneyDeposited {'amount': 7} ops@example.com"


def test_the_event_sourcing_example_runs_and_prints_what_it_promises(tmp_path: Path) -> None:
    output = _run(_block("class Account(Aggregate)"), tmp_path).splitlines()
    assert output[:4] == ["account 0 2", "[100, 200]", "70", "19970"]
    assert output[4].startswith("stream account/")
    assert "first event was recorded at" in output[4]
    assert output[5] == "True True"


def test_the_whole_store_example_runs_and_prints_what_it_promises(tmp_path: Path) -> None:
    carriers, *output = _run(_block("class OrderShipped(Event)"), tmp_path).splitlines()
    assert carriers == "['DHL']"
    assert [line.split()[0] for line in output[:3]] == ["1", "2", "3"]
    assert output[0].endswith("OrderPlaced")
    assert output[0].split()[1].startswith("orders/")
    listing = output[8]
    assert listing.startswith("orders/")
    assert listing.endswith(" 2 2 0")
    assert output[3:8] + output[9:] == [
        "1",
        "{'total': 12}",
        "total=12",
        "3",
        "1 3",
        "2 0",
        "3 OrderPlaced",
        "['OrderPlaced', 'OrderShipped']",
        "['OrderPlaced']",
        "3 {'orders': 3} 0",
    ]


def test_the_workbench_example_runs_and_prints_what_it_promises(tmp_path: Path) -> None:
    output = _run(_block("from workbench import Workbench"), tmp_path).splitlines()
    assert output == [
        "3",
        "['stream_id', 'stream_name', 'category', 'version']",
        "True",
        "active",
        "True",
        "True",
        "True",
        "True",
        "True",
    ]


def test_the_outbox_example_runs_and_prints_what_it_promises(tmp_path: Path) -> None:
    output = _run(_block("class InvoicePaid(Event)"), tmp_path).splitlines()
    assert output == [
        "2 delivered, 0 failed, 0 dead, 0 held back (of 2 claimed)",
        "['InvoiceIssued', 'InvoicePaid']",
        "delivered 1 True",
        "1 delivered True",
        "['InvoiceIssued', 'InvoicePaid'] True",
    ]
    with sqlite3.connect(tmp_path / "outbox-demo.db") as db:
        # A relay's delivering attempt is kept on its entry; the attempts table has the rest.
        deliveries = "SELECT delivery_number, delivered_by IS NOT NULL FROM event_sourcery_outbox"
        assert db.execute(deliveries).fetchall() == [(1, 1), (1, 1)]
        assert db.execute("SELECT count(*) FROM event_sourcery_outbox_attempts").fetchone() == (0,)


def test_the_session_outbox_example_commits_the_event_with_its_entry(tmp_path: Path) -> None:
    assert _run(_block("get_outbox(session)"), tmp_path).splitlines() == ["1"]
    with sqlite3.connect(tmp_path / "outbox-session.db") as db:
        statuses = db.execute("SELECT status FROM event_sourcery_outbox").fetchall()
    assert statuses == [("delivered",)]


def test_the_backend_example_runs_the_contract_suite(tmp_path: Path) -> None:
    (tmp_path / "test_my_backend.py").write_text(_block("MyBackendHarness"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_backend.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    passed = re.search(r"(\d+) passed", done.stdout)
    assert passed is not None, done.stdout
    assert int(passed.group(1)) >= 50, done.stdout  # the whole contract ran, not a sliver
