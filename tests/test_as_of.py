"""The stored current state equals the rules over the whole history, and ``--as-of`` shows a past state."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from core.paths import WarehouseLayout
from sample_data.bp import Scenario, build_scenario, write_area
from takuso.commands.query import run_query
from tests.conftest import SAMPLE_MONTH
from warehouse.catalog import open_catalog
from warehouse.current import CURRENT_DATASETS, current_files
from warehouse.ingest import ingest
from warehouse.runs import sources_for

SEED = 4
DAY10 = SAMPLE_MONTH + timedelta(days=9)
VIEWS = ("interval_usage", "monthly_usage")


@pytest.fixture(scope="module")
def revised(tmp_path_factory: pytest.TempPathFactory) -> tuple[WarehouseLayout, datetime, Scenario]:
    """Every file but day 10's revision 01 in a first run; the revision in a second run, after ``between``."""
    root = tmp_path_factory.mktemp("asof")
    files = write_area(root / "in" / "03", "03", SAMPLE_MONTH, seed=SEED, low_points=3, high_points=1)
    revision = [f for f in files if f.name == "W41120202404100000010000.zip"]
    assert len(revision) == 1
    layout = WarehouseLayout(root / "wh")
    ingest(sources_for([f for f in files if f not in revision], "03", "default"), layout, workers=1)
    time.sleep(0.01)
    between = datetime.now(UTC).replace(tzinfo=None)
    time.sleep(0.01)
    ingest(sources_for(revision, "03", "default"), layout, workers=1)
    return layout, between, build_scenario("03", SAMPLE_MONTH, SEED, low_points=3, high_points=1)


def rows(con: duckdb.DuckDBPyConnection, view: str) -> list[tuple]:
    return sorted(con.execute(f"SELECT * EXCLUDE (loaded_at) FROM {view}").fetchall(), key=repr)


def test_the_stored_current_state_equals_the_rules_over_the_history(revised) -> None:  # type: ignore[no-untyped-def]
    layout, _, _ = revised
    for ds in CURRENT_DATASETS:  # the catalog reads the stored files, not the history
        assert current_files(layout, ds), ds.name
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as stored:
        sql = stored.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'interval_shown'").fetchone()
        assert sql is not None and "current/interval/" in sql[0]
        with open_catalog(layout, as_of=datetime.now(UTC).replace(tzinfo=None)) as derived:
            for view in VIEWS:
                assert rows(stored, view) == rows(derived, view), view


def test_as_of_returns_the_value_a_revision_replaced(revised) -> None:  # type: ignore[no-untyped-def]
    layout, between, sc = revised
    fixed = sc.points[-1]
    sql = (
        f"SELECT kwh, revision FROM interval_usage WHERE supply_point_id = '{fixed.id}' "
        f"AND usage_date = DATE '{DAY10}' AND slot = 21 AND data_class = 'preliminary'"
    )
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as now:
        assert now.execute(sql).fetchall() == [(sc.confirmed[(fixed.id, DAY10)][20], 1)]
    with open_catalog(layout, as_of=between) as then:
        [(kwh, rev)] = then.execute(sql).fetchall()
        assert (str(kwh), rev) == ("99.900000", 0)
        # the revision's file is not in the ledger of that moment either
        [(files,)] = then.execute("SELECT count(*) FROM ingested_files WHERE revision = 1").fetchall()
        assert files == 0
    with open_catalog(layout, as_of=between - timedelta(days=1)) as before:
        assert before.execute("SELECT count(*) FROM interval_usage").fetchall() == [(0,)]


def test_query_as_of_on_the_command_line(revised, capfd: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    layout, between, _ = revised
    sql = "SELECT max(revision) AS r FROM interval_usage"
    assert run_query(sql, layout.root, fmt="csv", as_of=between, console=Console(file=io.StringIO())) == 0
    assert capfd.readouterr().out.split() == ["r", "0"]
    assert run_query(sql, layout.root, fmt="csv") == 0
    assert capfd.readouterr().out.split() == ["r", "1"]


def test_a_killed_run_leaves_no_current_file_a_catalog_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import warehouse.ingest as ingest_module

    files = write_area(tmp_path / "in" / "03", "03", SAMPLE_MONTH, seed=SEED, low_points=1, high_points=1)
    daily = sorted(f for f in files if f.name.startswith("W41120"))
    layout = WarehouseLayout(tmp_path / "wh")
    ingest(sources_for(daily[:1], "03", "default"), layout, workers=1)
    listed = [current_files(layout, ds) for ds in CURRENT_DATASETS]
    monkeypatch.setattr(ingest_module, "commit_run", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        ingest(sources_for(daily[1:3], "03", "default"), layout, workers=1)
    assert [current_files(layout, ds) for ds in CURRENT_DATASETS] == listed
    monkeypatch.undo()
    ingest(sources_for(daily[:3], "03", "default"), layout, workers=1)
    on_disk = sorted((layout.datasets / "current").rglob("*.parquet"))
    assert len(on_disk) == 3  # one file per day partition: the killed run's files are gone


def test_the_stored_current_state_holds_no_personal_data(revised) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    layout, _, _ = revised
    files = list((layout.datasets / "current").rglob("*.parquet"))
    assert files
    for f in files:
        names = set(pq.read_schema(f).names)
        assert not names & {"customer_id", "customer_name", "supply_address"}, f


def test_as_of_shows_the_charges_stored_by_then(tmp_path: Path) -> None:
    from decimal import Decimal

    import pyarrow as pa

    from warehouse.catalog import build_catalog
    from warehouse.charges import CHARGE_SCHEMA, store_charges

    files = write_area(tmp_path / "in" / "03", "03", SAMPLE_MONTH, seed=SEED, low_points=1, high_points=1)
    layout = WarehouseLayout(tmp_path / "wh")
    ingest(sources_for(files[:1], "03", "default"), layout, workers=1)

    def charge(total: int) -> pa.Table:
        row = {f.name: None for f in CHARGE_SCHEMA} | {"supply_point_id": "0300000000000000000001", "area_code": "03"}
        return pa.Table.from_pylist([row | {"total_yen": Decimal(total), "status": "computed"}], schema=CHARGE_SCHEMA)

    store_charges(layout, SAMPLE_MONTH, charge(100))
    time.sleep(0.01)
    between = datetime.now(UTC).replace(tzinfo=None)
    time.sleep(0.01)
    store_charges(layout, SAMPLE_MONTH, charge(120))
    build_catalog(layout)
    sql = "SELECT total_yen FROM wheeling_charges"
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as now:
        assert now.execute(sql).fetchall() == [(Decimal(120),)]
    with open_catalog(layout, as_of=between) as then:
        assert then.execute(sql).fetchall() == [(Decimal(100),)]


def test_a_current_state_of_another_layout_is_rebuilt(tmp_path: Path) -> None:
    """A stored state without the layout's version (an older takuso wrote it) is rebuilt from the history."""
    from warehouse.current import INTERVAL_HIDDEN, LAYOUT_VERSION, current_root

    files = write_area(tmp_path / "in" / "03", "03", SAMPLE_MONTH, seed=SEED, low_points=3, high_points=1)
    layout = WarehouseLayout(tmp_path / "wh")
    ingest(sources_for(files, "03", "default"), layout, workers=1)
    assert current_files(layout, INTERVAL_HIDDEN)  # the scenario has 部分 points: outranked 全量 rows
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as con:
        before = rows(con, "interval_usage")
    root = current_root(layout)
    (root / "VERSION").unlink()
    for f in root.rglob("*.parquet"):  # what an older layout held: one file per day, outranked rows included
        f.unlink()
    ingest(sources_for(files, "03", "default"), layout, workers=1)  # nothing new to load
    assert (root / "VERSION").read_text() == LAYOUT_VERSION
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as con:
        assert rows(con, "interval_usage") == before


@pytest.mark.parametrize(("batch_rows", "writers"), [(1, 1), (1, 2), (2000, 2)])
def test_the_rules_a_few_days_at_a_time_give_the_same_state(
    batch_rows: int, writers: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 30-minute rules take consecutive days in batches of bounded rows (``BATCH_ROWS``): a day at a
    time (1), or a few (2,000 rows: four days of these files), the stored state is the same; so it is
    whether the partition files are written one after the other or side by side (``WRITERS``)."""
    import warehouse.current

    monkeypatch.setattr(warehouse.current, "BATCH_ROWS", batch_rows)
    monkeypatch.setattr(warehouse.current, "WRITERS", writers)
    files = write_area(tmp_path / "in" / "03", "03", SAMPLE_MONTH, seed=SEED, low_points=3, high_points=1)
    layout = WarehouseLayout(tmp_path / "wh")
    ingest(sources_for(files, "03", "default"), layout, workers=1)
    with (
        duckdb.connect(str(layout.duckdb_file), read_only=True) as stored,
        open_catalog(layout, as_of=datetime.now(UTC).replace(tzinfo=None)) as derived,
    ):
        for view in VIEWS:
            assert rows(stored, view) == rows(derived, view), view
