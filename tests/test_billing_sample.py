"""The committed sample month closes: every point computed, and the invoices differ exactly where planted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from core.paths import WarehouseLayout
from reconcile.checks import DEFAULT_TOLERANCE_KWH, catalog_views
from reconcile.result import build_reconciliation
from sample_data.__main__ import SAMPLE_MONTH
from sample_data.billing import EXAMPLE_RATES, PLANTED
from warehouse.catalog import build_catalog, connect
from warehouse.charges import store_charges
from warehouse.ingest import ingest
from warehouse.runs import sources_for

pytestmark = pytest.mark.slow  # the module closes a whole sample month once

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "small"
AREAS = sorted({p.area for p in PLANTED})
MONTH = date.fromisoformat(SAMPLE_MONTH + "-01")


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> WarehouseLayout:
    layout = WarehouseLayout(tmp_path_factory.mktemp("close"))
    files = [
        f for area in AREAS for kind in ("bp", "csv", "billing") for f in sorted((SAMPLE / kind / area).glob("*.*"))
    ]
    report = ingest(sources_for(files, None, "default"), layout, workers=1, extra_views=[catalog_views()])
    assert report.count("rejected") == 0, [f.message for f in report.files if f.status == "rejected"]
    con = connect(layout)
    try:
        result = build_reconciliation(con, MONTH, DEFAULT_TOLERANCE_KWH, EXAMPLE_RATES)
    finally:
        con.close()
    store_charges(layout, MONTH, result.charges)
    build_catalog(layout, [catalog_views()])
    return layout


def rows(layout: WarehouseLayout, sql: str) -> list[tuple]:
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_sample_point_has_a_computed_charge_with_its_rate_status(closed: WarehouseLayout) -> None:
    got = rows(closed, "SELECT status, count(*), count(rate_status) FROM wheeling_charges GROUP BY status")
    assert got == [("computed", 6 * len(AREAS), 6 * len(AREAS))]


def test_the_register_decides_every_contract(closed: WarehouseLayout) -> None:
    sources = {s for (s,) in rows(closed, "SELECT DISTINCT contract_source FROM wheeling_charges")}
    assert sources and all(s.startswith("supply_point_contracts") for s in sources), sources


def test_charge_differences_are_the_planted_ones_and_nothing_else(closed: WarehouseLayout) -> None:
    found = {
        point: (status, component)
        for point, status, component in rows(
            closed, "SELECT supply_point_id, status, cause_component FROM charge_differences WHERE status <> 'match'"
        )
    }
    planted = {p.point: (p.status, p.cause_component) for p in PLANTED if p.status != "match"}
    assert found == planted


def test_a_one_yen_difference_is_a_match(closed: WarehouseLayout) -> None:
    (one,) = [p for p in PLANTED if p.status == "match"]
    got = rows(closed, f"SELECT status, difference_yen FROM charge_differences WHERE supply_point_id = '{one.point}'")
    assert [(s, int(d)) for s, d in got] == [("match", one.total_delta)]


def test_the_report_leads_with_the_lines_that_differ_largest_first(closed: WarehouseLayout) -> None:
    con = connect(closed)
    try:
        result = build_reconciliation(con, MONTH, DEFAULT_TOLERANCE_KWH, EXAMPLE_RATES)
    finally:
        con.close()
    lines = result.differing_lines()
    sized = [abs(r["difference_yen"]) for r in lines if r["difference_yen"] is not None]
    assert sized == sorted(sized, reverse=True) and len(lines) == sum(1 for p in PLANTED if p.status != "match")
    assert all(r["cause"] for r in lines)
    invoiced = {a["area_code"]: a for a in result.by_area()}
    assert all(a["invoice_lines"] for a in invoiced.values())
