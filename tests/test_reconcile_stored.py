"""The measured sums behind ``reconciliation_monthly`` are stored in the catalog and kept up to date night by
night: a night measures the months its files touch and reuses the previous catalog's rows for the others."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

import reconcile.checks as checks
from core.paths import WarehouseLayout
from reconcile.checks import catalog_views, months_of_records
from sample_data.bp import write_area
from tests.conftest import SAMPLE_MONTH
from warehouse.catalog import CatalogBuild, open_catalog
from warehouse.ingest import ingest
from warehouse.runs import sources_for

SEED = 4


def _rows(con: duckdb.DuckDBPyConnection) -> list[str]:
    return sorted(map(repr, con.execute("SELECT * FROM reconciliation_monthly").fetchall()))


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[date, date] | None]:
    """Records the day range of every measurement (None: every day of every month)."""
    measured: list[tuple[date, date] | None] = []
    original = checks.reconciliation_measured_sql

    def spy(periods: str = checks.BILLING_PERIODS_VIEW, days: tuple[date, date] | None = None) -> str:
        measured.append(days)
        return original(periods, days)

    monkeypatch.setattr(checks, "reconciliation_measured_sql", spy)
    return measured


def test_a_night_measures_only_the_months_it_touched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = write_area(tmp_path / "in" / "03", "03", SAMPLE_MONTH, seed=SEED, low_points=3, high_points=1)
    revision = [f for f in files if f.name == "W41120202404100000010000.zip"]
    layout = WarehouseLayout(tmp_path / "wh")
    views = [catalog_views()]
    ingest(sources_for([f for f in files if f not in revision], "03", "default"), layout, workers=1, extra_views=views)
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as before:
        first = _rows(before)

    measured = _spy(monkeypatch)
    ingest(sources_for(revision, "03", "default"), layout, workers=1, extra_views=views)  # day 10, revised
    assert measured and all(days is not None for days in measured)  # the touched months only, not everything
    monkeypatch.undo()

    with duckdb.connect(str(layout.duckdb_file), read_only=True) as stored:
        [(tables,)] = stored.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'internal' AND table_name = ?",
            [checks.MEASURED_TABLE],
        ).fetchall()
        assert tables == 1
        night = _rows(stored)
    assert night != first  # the revision changed the preliminary sums of its month
    with open_catalog(layout, as_of=datetime.now(UTC).replace(tzinfo=None), extra_views=views) as derived:
        assert night == _rows(derived)  # the same as measuring every month afresh


def test_a_monthly_record_reaches_its_month_and_the_next() -> None:
    month = CatalogBuild(Path("x"), months=frozenset({("08", date(2024, 12, 1))}))
    assert months_of_records(month) == {("08", date(2024, 12, 1)), ("08", date(2025, 1, 1))}


def test_a_day_outside_every_stored_billing_period_measures_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = write_area(tmp_path / "in" / "03", "03", SAMPLE_MONTH, seed=SEED, low_points=1, high_points=1)
    layout = WarehouseLayout(tmp_path / "wh")
    views = [catalog_views()]
    ingest(sources_for(files, "03", "default"), layout, workers=1, extra_views=views)
    later = write_area(tmp_path / "in2" / "03", "03", SAMPLE_MONTH.replace(month=SAMPLE_MONTH.month + 1), seed=SEED)
    day = sorted(f for f in later if f.name.startswith("W41120"))[0]  # the 1st of the next month: in no period
    measured = _spy(monkeypatch)
    ingest(sources_for([day], "03", "default"), layout, workers=1, extra_views=views)
    assert measured == []  # the stored rows are all still valid
    now = datetime.now(UTC).replace(tzinfo=None)
    with (
        open_catalog(layout, as_of=now, extra_views=views) as derived,
        duckdb.connect(str(layout.duckdb_file)) as stored,
    ):
        assert _rows(stored) == _rows(derived)


def test_a_catalog_that_fell_behind_is_measured_afresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = write_area(tmp_path / "in" / "03", "03", SAMPLE_MONTH, seed=SEED, low_points=1, high_points=1)
    daily = sorted(f for f in files if f.name.startswith("W41120"))
    layout = WarehouseLayout(tmp_path / "wh")
    views = [catalog_views()]
    ingest(sources_for(daily[:2], "03", "default"), layout, workers=1, extra_views=views)
    ingest(sources_for(daily[2:4], "03", "default"), layout, workers=1, extra_views=views, rebuild=False)  # behind
    measured = _spy(monkeypatch)
    ingest(sources_for(daily[4:5], "03", "default"), layout, workers=1, extra_views=views)
    assert measured == [None]  # everything, not only the last night's months
