"""Two ingests on one warehouse: the second waits for the first (saying so) or, with --no-wait, exits 2.

The processes really run in parallel (``takuso ingest`` subprocesses); the end state must equal loading
the same files one run after the other, with every file recorded once.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from core.paths import WarehouseLayout
from reconcile.checks import catalog_views
from sample_data.bp import write_area
from takuso.commands.ingest import run_ingest
from tests.corpus.digest import view_digests
from warehouse.ingest import ingest
from warehouse.lock import writer_lock
from warehouse.runs import sources_for

pytestmark = pytest.mark.slow  # runs real takuso processes side by side

TAKUSO = [sys.executable, "-m", "takuso"]  # the CLI of the interpreter running the tests, wherever it lives
ENV = {**os.environ, "COLUMNS": "400"}  # rich wraps long lines at 80 columns when not on a terminal


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A first input big enough to keep a run busy for a few seconds, and a small second one."""
    root = tmp_path_factory.mktemp("concurrency")
    write_area(root / "first" / "01", "01", date(2024, 4, 1), seed=11, low_points=150, high_points=1)  # a few seconds
    write_area(root / "second" / "08", "08", date(2024, 4, 1), seed=12, low_points=1, high_points=1)
    for folder, days in ((root / "first" / "01", 12), (root / "second" / "08", 2)):
        for path in folder.iterdir():
            if path.name.startswith(("W40120", "W41120")) and int(path.name[12:14]) > days:
                path.unlink()
    return root / "first", root / "second"


def wait_for_lock_holder(warehouse: Path, pid: int, timeout: float = 30) -> None:
    lock = warehouse / ".takuso.lock"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lock.exists() and lock.read_text().strip() == str(pid):
            return
        time.sleep(0.02)
    raise AssertionError(f"pid {pid} never took the writer lock")


def test_second_ingest_waits_or_exits_2_and_nothing_is_corrupted(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    first, second = inputs
    warehouse = tmp_path / "wh"
    cmd = [*TAKUSO, "ingest", "--warehouse", str(warehouse)]
    a = subprocess.Popen([*cmd, str(first)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
    try:
        wait_for_lock_holder(warehouse, a.pid)
        refused = subprocess.run([*cmd, "--no-wait", str(second)], capture_output=True, text=True, timeout=60, env=ENV)
        assert a.poll() is None, "the first run ended before the second started; give it more files"
        assert refused.returncode == 2
        assert f"another takuso process (pid {a.pid}) is writing to {warehouse}" in flat(refused.stdout)
        b = subprocess.run([*cmd, str(second)], capture_output=True, text=True, timeout=120, env=ENV)
        assert a.wait(timeout=120) == 0, a.stdout.read() if a.stdout else ""
    finally:
        a.kill()
    assert b.returncode == 0, b.stdout
    assert "waiting for it to finish" in flat(b.stdout) and f"pid {a.pid}" in flat(b.stdout)

    sequential = WarehouseLayout(tmp_path / "sequential")
    views = [catalog_views()]  # the CLI's catalog has the reconciliation views too
    ingest(sources_for(sorted((first / "01").iterdir()), None, "default"), sequential, workers=1, extra_views=views)
    ingest(sources_for(sorted((second / "08").iterdir()), None, "default"), sequential, workers=1, extra_views=views)
    assert view_digests(warehouse / "takuso.duckdb") == view_digests(sequential.duckdb_file)
    with duckdb.connect(str(warehouse / "takuso.duckdb"), read_only=True) as con:
        [(files, distinct, statuses)] = con.execute(
            "SELECT count(*), count(DISTINCT file_id), list(DISTINCT status) FROM ingested_files"
        ).fetchall()
    assert files == distinct == len(list(first.rglob("*.zip"))) + len(list(second.rglob("*.zip")))
    assert statuses == ["loaded"]


def test_no_wait_against_a_held_lock_exits_2_with_a_clear_message(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    layout = WarehouseLayout(tmp_path / "wh")
    out = io.StringIO()
    with writer_lock(layout.lock_file):
        code = run_ingest([inputs[1]], warehouse=layout.root, console=Console(file=out, width=200), wait=False)
    assert code == 2
    assert "another takuso process" in out.getvalue() and "is writing to" in out.getvalue()
    assert not (layout.root / "parquet").exists()  # nothing was written


def test_the_lock_dies_with_a_killed_process(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse = tmp_path / "wh"
    a = subprocess.Popen(
        [*TAKUSO, "ingest", "--warehouse", str(warehouse), str(inputs[0])],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_lock_holder(warehouse, a.pid)
    a.kill()
    a.wait()
    done = subprocess.run(
        [*TAKUSO, "ingest", "--no-wait", "--warehouse", str(warehouse), str(inputs[1])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout
