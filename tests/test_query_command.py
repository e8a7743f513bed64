"""``takuso query``: table, CSV, JSON and files out; no warehouse is exit 2 and creates nothing; the duckdb CLI."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from core.paths import WarehouseLayout
from sample_data.bp import write_area
from takuso.commands.catalog import run_catalog
from takuso.commands.query import parse_as_of, run_query
from tests.conftest import SAMPLE_MONTH
from warehouse.ingest import ingest
from warehouse.runs import sources_for

SQL = "SELECT area_code, data_class, sum(billable_kwh) AS kwh, count(*) n FROM interval_usage GROUP BY ALL ORDER BY ALL"


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> WarehouseLayout:
    root = tmp_path_factory.mktemp("query")
    files = write_area(root / "in" / "06", "06", SAMPLE_MONTH, seed=2, low_points=2, high_points=1)
    layout = WarehouseLayout(root / "wh")
    ingest(sources_for(files, "06", "default"), layout, workers=1)
    return layout


def quiet() -> Console:
    return Console(file=io.StringIO())


def expected(layout: WarehouseLayout) -> list[tuple]:
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as con:
        return con.execute(SQL).fetchall()


def test_csv_and_json_on_stdout(layout: WarehouseLayout, capfd: pytest.CaptureFixture[str]) -> None:
    rows = expected(layout)
    assert run_query(SQL, layout.root, fmt="csv") == 0
    lines = capfd.readouterr().out.strip().splitlines()
    assert lines[0] == "area_code,data_class,kwh,n"
    assert lines[1:] == [f"{a},{c},{k},{n}" for a, c, k, n in rows]
    assert run_query(SQL, layout.root, fmt="json") == 0
    parsed = json.loads(capfd.readouterr().out)
    assert [(r["area_code"], r["data_class"], r["n"]) for r in parsed] == [(a, c, n) for a, c, _, n in rows]


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_out_file_by_its_ending(layout: WarehouseLayout, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"result{suffix}"
    assert run_query(SQL, layout.root, out=out, console=quiet()) == 0
    reader = {".csv": "read_csv", ".json": "read_json", ".parquet": "read_parquet"}[suffix]
    back = duckdb.sql(f"SELECT area_code, data_class, CAST(kwh AS DECIMAL(18,6)), n FROM {reader}('{out}')").fetchall()
    assert back == expected(layout)


def test_sql_error_is_exit_1_and_unknown_ending_exit_2(layout: WarehouseLayout, tmp_path: Path) -> None:
    assert run_query("SELECT nope FROM interval_usage", layout.root, console=quiet()) == 1
    assert run_query(SQL, layout.root, out=tmp_path / "x.xlsx", console=quiet()) == 2


def test_a_folder_without_a_warehouse_is_exit_2_and_stays_empty(tmp_path: Path) -> None:
    typo = tmp_path / "typo"
    assert run_query("SELECT 1", typo, console=quiet()) == 2
    assert run_query("SELECT 1", typo, fmt="csv", console=quiet()) == 2
    assert run_catalog(typo, console=quiet()) == 2
    assert not typo.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_query("SELECT 1", empty, console=quiet()) == 2
    assert list(empty.iterdir()) == []


def test_as_of_is_japanese_time_unless_an_offset_is_given() -> None:
    assert parse_as_of("2025-11-06T09:00").isoformat() == "2025-11-06T00:00:00"
    assert parse_as_of("2025-11-06T09:00+00:00").isoformat() == "2025-11-06T09:00:00"
    with pytest.raises(ValueError):
        parse_as_of("yesterday")


def test_the_duckdb_command_line_reads_the_catalog(layout: WarehouseLayout) -> None:
    cli = Path(sys.executable).parent / "duckdb"
    if not cli.exists():
        pytest.skip("the duckdb-cli package is not installed in this environment")
    result = subprocess.run(
        [str(cli), "-readonly", "-csv", str(layout.duckdb_file), "-c", SQL], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 + len(expected(layout))


def test_the_warehouse_folder_defaults_to_takuso_warehouse_or_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.paths import resolve_warehouse

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TAKUSO_WAREHOUSE", raising=False)
    assert resolve_warehouse() == tmp_path / "takuso-warehouse"
    (tmp_path / "takuso.toml").write_text('retailer_code = "9999"\nwarehouse_dir = "data/wh"\n', encoding="utf-8")
    assert resolve_warehouse() == tmp_path / "data" / "wh"
    monkeypatch.setenv("TAKUSO_WAREHOUSE", str(tmp_path / "env"))
    assert resolve_warehouse() == tmp_path / "env"
    assert resolve_warehouse(tmp_path / "opt") == tmp_path / "opt"
