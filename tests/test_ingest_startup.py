"""``takuso ingest`` of files that are all loaded already hashes them, reads the commit markers and stops: it
never imports the parsers, Arrow, DuckDB, the reconciliation views or pandas (their import would be most
of a re-run's time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from warehouse.runs import LOADED_FILES

HEAVY = (
    "lxml.etree", "duckdb", "pandas", "pyarrow", "reconcile", "parsers.bp_xml.engine", "parsers.csv_forms", "prefect",
)  # fmt: skip
REPORT = "import atexit, sys; atexit.register(lambda: print('\\nMODULES', *sorted(sys.modules)))\n"


def _ingest(warehouse: Path, files: list[Path]) -> tuple[str, set[str]]:
    """Run ``takuso ingest`` in a fresh interpreter: its output, and the modules it had imported at exit."""
    args = ["ingest", "--warehouse", str(warehouse), *map(str, files)]
    code = REPORT + f"sys.argv = ['takuso', *{args!r}]\nfrom takuso.cli import main\nmain()\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out, _, modules = proc.stdout.rpartition("\nMODULES ")
    return out, set(modules.split())


def _rewrite_markers(warehouse: Path, edit: Callable[[dict], None]) -> None:
    """Edit every commit marker as an earlier takuso would have written it, keeping its time (so the
    catalog stays up to date)."""
    for marker in (warehouse / "parquet" / "runs").glob("*.json"):
        stat = marker.stat()
        summary = json.loads(marker.read_bytes())
        edit(summary)
        marker.write_text(json.dumps(summary))
        os.utime(marker, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _kinds(out: str) -> list[str]:
    """The kind column of the summary table, total row excluded."""
    rows = [line.split("│") for line in out.splitlines() if line.startswith("│") and "total" not in line]
    return [cells[1].strip() for cells in rows if cells[1].strip() != "kind"]


def _total(out: str) -> list[str]:
    """Loaded, skipped, rejected of the summary table's total row."""
    row = next(line for line in out.splitlines() if "total" in line)
    return [cell.strip() for cell in row.split("│")[2:5]]


@pytest.mark.slow
def test_a_run_that_finds_every_file_loaded_imports_no_heavy_machinery(sample_bp: Path, tmp_path: Path) -> None:
    files = sorted((sample_bp / "03").glob("*.zip"))[:3]
    warehouse = tmp_path / "wh"
    first, loading = _ingest(warehouse, files)
    assert {"lxml.etree", "duckdb", "reconcile", "parsers.bp_xml.engine"} <= loading, "the first run loads"
    again, skipping = _ingest(warehouse, files)
    assert _total(again) == ["0", "3", "0"], again
    assert skipping.isdisjoint(HEAVY), sorted(skipping & set(HEAVY))
    assert _kinds(again) == _kinds(first) and "?" not in _kinds(again)  # the kind each was loaded as


@pytest.mark.slow
def test_markers_listing_no_kinds_still_skip_at_once(sample_bp: Path, tmp_path: Path) -> None:
    """Markers written before they listed each file's kind ([id, sha256, account]) still decide the re-run;
    the kind of such a file is then not known ("?")."""
    files = sorted((sample_bp / "03").glob("*.zip"))[:2]
    warehouse = tmp_path / "wh"
    _ingest(warehouse, files)
    _rewrite_markers(warehouse, lambda m: m.update({LOADED_FILES: [e[:3] for e in m[LOADED_FILES]]}))
    again, modules = _ingest(warehouse, files)
    assert _total(again) == ["0", "2", "0"] and _kinds(again) == ["?"], again
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


@pytest.mark.slow
def test_a_run_that_finds_the_catalog_missing_rebuilds_it(sample_bp: Path, tmp_path: Path) -> None:
    files = sorted((sample_bp / "03").glob("*.zip"))[:2]
    warehouse = tmp_path / "wh"
    _ingest(warehouse, files)
    (warehouse / "takuso.duckdb").unlink()
    again, modules = _ingest(warehouse, files)
    assert _total(again) == ["0", "2", "0"], again
    assert (warehouse / "takuso.duckdb").exists() and "reconcile" in modules


@pytest.mark.slow
def test_files_saved_without_their_area_on_the_path_are_skipped_as_fast(sample_bp: Path, tmp_path: Path) -> None:
    """Nothing outside the file says its area (no ``--area``, no area folder): the header does. The same
    bytes were loaded under the area they said, so a re-run skips them without parsing them again."""
    flat = tmp_path / "inbox"
    flat.mkdir()
    for f in sorted((sample_bp / "03").glob("*.zip"))[:2]:
        (flat / f.name).write_bytes(f.read_bytes())
    warehouse = tmp_path / "wh"
    first, _ = _ingest(warehouse, sorted(flat.iterdir()))
    assert _total(first) == ["2", "0", "0"], first
    again, modules = _ingest(warehouse, sorted(flat.iterdir()))
    assert _total(again) == ["0", "2", "0"], again
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


@pytest.mark.slow
def test_markers_from_before_the_list_of_loaded_files_leave_the_decision_to_the_ledger(
    sample_bp: Path, tmp_path: Path
) -> None:
    """A warehouse whose commit markers do not list the files they loaded (written by an earlier takuso)
    still skips them: the ledger says they are loaded."""
    files = sorted((sample_bp / "03").glob("*.zip"))[:2]
    warehouse = tmp_path / "wh"
    _ingest(warehouse, files)
    _rewrite_markers(warehouse, lambda m: m.pop(LOADED_FILES))
    again, modules = _ingest(warehouse, files)
    assert _total(again) == ["0", "2", "0"], again
    assert "?" not in _kinds(again)  # the ledger says the kinds
    assert "pyarrow" in modules and "duckdb" not in modules
