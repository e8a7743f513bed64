"""The public contract (warehouse-contract.md): every view and column exists, quantities are DECIMAL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from core.paths import WarehouseLayout
from reconcile.checks import catalog_views
from sample_data.bp import write_area
from tests.conftest import SAMPLE_MONTH
from warehouse.ingest import ingest
from warehouse.runs import sources_for

pytestmark = pytest.mark.slow  # the module's warehouse takes seconds to build

CHECKER = Path(__file__).resolve().parents[2] / "shared" / "tools" / "check_contract.py"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> WarehouseLayout:
    root = tmp_path_factory.mktemp("contract")
    write_area(root / "in" / "05", "05", SAMPLE_MONTH, seed=3, low_points=2, high_points=1)
    layout = WarehouseLayout(root / "wh")
    files = sorted((root / "in" / "05").glob("*.zip"))
    csv = sorted((Path(__file__).resolve().parents[1] / "sample_data" / "small" / "csv" / "05").glob("*.csv"))
    ingest(sources_for(files + csv, None, "default"), layout, workers=1, extra_views=[catalog_views()])
    return layout


@pytest.mark.skipif(not CHECKER.exists(), reason="shared/tools/check_contract.py is not beside the checkout")
def test_the_shared_contract_checker_passes(warehouse: WarehouseLayout) -> None:
    command = [sys.executable, str(CHECKER), "--all", str(warehouse.root)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "14/14 views conform" in result.stdout


def test_every_view_and_column_has_a_comment(warehouse: WarehouseLayout) -> None:
    with duckdb.connect(str(warehouse.duckdb_file), read_only=True) as con:
        views = con.execute(
            "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
        ).fetchall()
        helpers = [v for v, _ in views if v.startswith(("ds_", "reconcile_")) or v.endswith("_current")]
        assert not helpers, f"helper views in the analysts' listing: {helpers}"
        tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
        assert tables == []
        missing = [v for v, c in views if not c]
        assert not missing, f"views without a comment: {missing}"
        for view, _ in views:
            cols = con.execute(
                "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ?",
                [view],
            ).fetchall()
            bare = [c for c, comment in cols if not comment]
            assert not bare, f"{view}: columns without a comment: {bare}"


def test_a_column_is_commented_with_its_meaning_in_that_view(warehouse: WarehouseLayout) -> None:
    sql = "SELECT comment FROM duckdb_columns() WHERE table_name = ? AND column_name = 'status'"
    with duckdb.connect(str(warehouse.duckdb_file), read_only=True) as con:
        [(charges,)] = con.execute(sql, ["wheeling_charges"]).fetchall()
        [(files,)] = con.execute(sql, ["ingested_files"]).fetchall()
    assert "not_computed" in charges and "skipped" not in charges
    assert "skipped" in files
