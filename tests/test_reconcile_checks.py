"""Reconciliation views (RC01-RC07, GP01-GP03, CD01-CD03) and compute_wheeling_charges on the warehouse views.

The warehouses are built from BP XML and CSV files written by the sample generator and loaded by the real
ingest (``tests/reconcile_fixtures.py``). Every point below has 0.1 kWh in each of its 48 slots unless
said otherwise, so a full April (30 days) sums to 144 kWh.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import duckdb
import pytest

from reconcile.checks import create_reconciliation_views
from reconcile.compute import compute_wheeling_charges
from sample_data.bp import Point
from tests.reconcile_fixtures import Files, curtailment_row, form2_row, month_end, period_days, point
from warehouse.catalog import connect

pytestmark = pytest.mark.slow  # each module warehouse is loaded from files by the real ingest
APRIL = date(2024, 4, 1)
MARCH = date(2024, 3, 1)
DAYS = period_days(date(2024, 4, 1), date(2024, 4, 30))
SLOT = D("0.1")
FLAT = [SLOT] * 48
HALF = [D("0.5")] * 48


def pid(n: int) -> str:
    return f"01{n:020d}"


def every_day(points: list[Point], days: list[date], values: list[D] = FLAT) -> dict[tuple[str, date], list[D]]:
    return {(p.id, d): list(values) for p in points for d in days if p.provided}


def open_views(layout_dir: Path, tolerance: D = D("0.5")) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the catalog with the reconciliation views (temporary) on top."""
    from core.paths import WarehouseLayout

    con = connect(WarehouseLayout(layout_dir))
    create_reconciliation_views(con, tolerance, temporary=True)
    return con


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = Files(tmp_path_factory.mktemp("recon_files"))
    points = {
        1: point(pid(1)),  # clean: 144 = 144 = 144
        2: point(pid(2), monthly_kwh=D("145")),  # RC01 only: confirmed 144; preliminary +1.0 in one slot → 145
        3: point(pid(3)),  # RC02 only: preliminary one slot +0.6 → 144.6; |144 − 144.6| = 0.6 > 0.5
        4: point(pid(4), monthly_kwh=D("144.5")),  # tolerance edge: diff exactly 0.5 → no flag
        5: point(pid(5)),  # RC03 + GP01: 2 confirmed slots missing on 04-10 (monthly 143.8 agrees)
        6: point(pid(6)),  # RC04 + GP02: no preliminary values on 04-20 → RC02 as well (139.2)
        7: point(pid(7), provided=False),  # RC05 + GP03: 提供可否 '1', no 30-minute values at all
        8: point(pid(8)),  # RC06: previous reading 2024-03-20 → April period 03-20..04-30 = 42 days
        9: point(pid(9), max_demand_kw=D("5")),  # RC07: TSO says 5 kW, recomputed 0.1 × 2 = 0.2 kW
        10: point(pid(10), split=True),  # partial supply: 0.5 a slot, 全量 and 部分 (60 %: 0.3) records
    }
    april = list(points.values())
    confirmed = every_day(april, DAYS) | every_day([points[10]], DAYS, HALF)
    files.monthly(APRIL, april, confirmed, missing={(pid(5), DAYS[9], 1), (pid(5), DAYS[9], 2)})
    march = [points[8]]
    files.monthly(MARCH, march, every_day(march, period_days(MARCH, date(2024, 3, 19))), reading_date=date(2024, 3, 20))
    for n, day in enumerate(DAYS):
        values = {points[k].id: FLAT for k in (1, 2, 3, 4, 5, 6, 9) if not (k == 6 and n == 19)}
        values[pid(10)] = HALF
        if n == 0:
            values[pid(2)] = [D("1.1")] + [SLOT] * 47
            values[pid(3)] = [D("0.7")] + [SLOT] * 47
        files.daily(day, april, values)
    return files.load(tmp_path_factory.mktemp("recon_wh")).root


@pytest.fixture(scope="module")
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with open_views(warehouse) as c:
        yield c


def recon(con: duckdb.DuckDBPyConnection, n: int) -> dict[str, Any]:
    cur = con.execute(
        "SELECT * FROM reconciliation_monthly WHERE supply_point_id = ? AND target_month = ?", [pid(n), APRIL]
    )
    names = [d[0] for d in cur.description]
    [row] = cur.fetchall()
    return dict(zip(names, row, strict=True))


def test_contract_columns_and_decimal_types(con: duckdb.DuckDBPyConnection) -> None:
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE reconciliation_monthly)").fetchall())
    for col in ("monthly_kwh", "confirmed_interval_kwh", "preliminary_interval_kwh"):
        assert types[col] == "DECIMAL(18,6)"
    for col in ("supply_point_id", "area_code", "target_month", "period_start", "period_end", "missing_slots"):
        assert col in types
    assert types["period_start"] == "DATE"


def test_clean_point_has_no_flags(con: duckdb.DuckDBPyConnection) -> None:
    r = recon(con, 1)
    assert (r["monthly_kwh"], r["confirmed_interval_kwh"], r["preliminary_interval_kwh"]) == (144, 144, 144)
    assert (r["period_start"], r["period_end"], r["missing_slots"], r["flags"]) == (APRIL, date(2024, 4, 30), 0, "")


def test_rc01_monthly_vs_confirmed(con: duckdb.DuckDBPyConnection) -> None:
    r = recon(con, 2)
    assert r["diff_confirmed_kwh"] == D("1") and r["flags"] == "RC01" and r["exceeds_tolerance"]


def test_rc02_monthly_vs_preliminary(con: duckdb.DuckDBPyConnection) -> None:
    r = recon(con, 3)
    assert r["diff_preliminary_kwh"] == D("-0.6") and r["flags"] == "RC02" and r["exceeds_tolerance"]


def test_difference_equal_to_the_tolerance_is_not_flagged(con: duckdb.DuckDBPyConnection) -> None:
    r = recon(con, 4)
    assert r["diff_confirmed_kwh"] == D("0.5") and r["flags"] == "" and not r["exceeds_tolerance"]


def test_tolerance_comes_from_configuration(warehouse: Path) -> None:
    with open_views(warehouse, D("0.4")) as c:
        assert recon(c, 4)["rc01_monthly_vs_confirmed"]
        with pytest.raises(ValueError, match="non-negative"):
            create_reconciliation_views(c, D("-1"), temporary=True)


def test_rc03_missing_confirmed_slots_and_days(con: duckdb.DuckDBPyConnection) -> None:
    r = recon(con, 5)
    assert (r["missing_slots"], r["missing_days"], r["flags"]) == (2, 1, "RC03")


def test_rc04_missing_preliminary_day(con: duckdb.DuckDBPyConnection) -> None:
    r = recon(con, 6)
    # 144 − (144 − 48 × 0.1) = 4.8 kWh → RC02 as well
    assert (r["missing_preliminary_slots"], r["missing_preliminary_days"], r["flags"]) == (48, 1, "RC02,RC04")


def test_rc05_monthly_not_provided(con: duckdb.DuckDBPyConnection) -> None:
    r = recon(con, 7)
    assert r["rc05_monthly_not_provided"] and not r["rc01_monthly_vs_confirmed"]
    assert r["missing_slots"] == 30 * 48


def test_rc06_period_from_previous_reading_date(con: duckdb.DuckDBPyConnection) -> None:
    r = recon(con, 8)
    assert (r["period_start"], r["period_end"], r["period_days"]) == (date(2024, 3, 20), date(2024, 4, 30), 42)
    assert r["rc06_prorated_period"]


def test_rc07_maximum_demand_differs(con: duckdb.DuckDBPyConnection) -> None:
    r = recon(con, 9)
    assert (r["tso_max_demand_kw"], r["recomputed_max_demand_kw"], r["flags"]) == (5, D("0.2"), "RC07")


def test_partial_supply_uses_after_split_values(con: duckdb.DuckDBPyConnection) -> None:
    r = recon(con, 10)
    # billable: 48 × 0.3 × 30 = 432 against monthly_kwh_split 432; preliminary (全量) 720 against 全量 720
    assert (r["split_code"], r["monthly_kwh"], r["confirmed_interval_kwh"]) == ("2", 432, 432)
    assert r["preliminary_interval_kwh"] == 720 and r["flags"] == ""


def gaps(con: duckdb.DuckDBPyConnection, n: int) -> list[tuple]:
    return con.execute(
        """SELECT usage_date, data_class, received_slots, missing_slots, gap_id FROM usage_gaps
           WHERE supply_point_id = ? ORDER BY usage_date, data_class""",
        [pid(n)],
    ).fetchall()


def test_gp01_partial_day(con: duckdb.DuckDBPyConnection) -> None:
    assert gaps(con, 5) == [(date(2024, 4, 10), "confirmed", 46, 2, "GP01")]


def test_gp02_day_present_in_one_data_class_only(con: duckdb.DuckDBPyConnection) -> None:
    assert gaps(con, 6) == [(date(2024, 4, 20), "preliminary", 0, 48, "GP02")]


def test_gp03_billing_period_days_missing_in_both(con: duckdb.DuckDBPyConnection) -> None:
    rows = gaps(con, 7)
    assert len(rows) == 60  # 30 days × (preliminary, confirmed)
    assert {r[4] for r in rows} == {"GP03"}


def test_clean_point_has_no_gaps(con: duckdb.DuckDBPyConnection) -> None:
    assert gaps(con, 1) == []


# ---- contract demand check (実量制 contract kW, Form 2) ----


@pytest.fixture(scope="module")
def demand_con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    files = Files(tmp_path_factory.mktemp("demand_files"))
    points = [point(pid(n)) for n in (21, 22, 23)]  # 24 has no 30-minute data
    confirmed = every_day(points, DAYS)
    confirmed[(pid(21), APRIL)] = [D("2.6")] + [SLOT] * 47  # 2.6 × 2 = 5.2 kW → 5
    confirmed[(pid(22), APRIL)] = [D("2.5")] + [SLOT] * 47  # 5 kW
    confirmed[(pid(23), APRIL)] = [D("4.0")] + [SLOT] * 47  # 8 kW
    files.monthly(APRIL, points, confirmed)
    files.form2(
        APRIL,
        [
            form2_row(pid(21), APRIL, APRIL, "5.2", "5"),  # clean
            form2_row(pid(21), APRIL, MARCH, "4", "5"),
            form2_row(pid(22), APRIL, APRIL, "5", "6"),  # CD01: contract 6 ≠ max of its look-back months 5
            form2_row(pid(23), APRIL, APRIL, "5", "5"),  # CD02 (8 > 5) and CD03 (April: 5 vs 8)
            form2_row(pid(24), APRIL, APRIL, "5", "50", kind="negotiated"),  # 協議: not flagged
        ],
    )
    # CD04 (two contract kW for one point) cannot be loaded: the Form 2 reader refuses the file (CSV021).
    with open_views(files.load(tmp_path_factory.mktemp("demand_wh")).root) as c:
        yield c


def demand_flags(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    rows = con.execute(
        "SELECT supply_point_id, recomputed_contract_kw, flags FROM contract_demand_check ORDER BY 1"
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def test_contract_demand_flags(demand_con: duckdb.DuckDBPyConnection) -> None:
    flags = demand_flags(demand_con)
    assert flags[pid(21)] == (D("5"), "")
    assert flags[pid(22)] == (D("5"), "CD01")
    assert flags[pid(23)] == (D("8"), "CD02,CD03")
    assert flags[pid(24)] == (None, "")


# ---- compute_wheeling_charges on the views ----


def test_compute_wheeling_charges_reads_the_views(tmp_path: Path) -> None:
    files = Files(tmp_path / "files")
    points = [point(pid(31), monthly_kwh=D("300.4"))]
    files.monthly(MARCH, points, every_day(points, period_days(MARCH, month_end(MARCH))))
    files.monthly(APRIL, points, every_day(points, DAYS))
    for month in (MARCH, APRIL):
        files.form2(month, [form2_row(pid(31), month, month, "5", "5")])
        files.form3(month, [curtailment_row(pid(31), month, days=1)])
    c = connect(files.load(tmp_path / "wh"))
    april = compute_wheeling_charges(c, APRIL, None).to_pylist()
    (line,) = april
    # HEPCO 電灯標準 (default menu) from 2024-04-01: 5 kW × 276.10 = 1,380.50; 300.4 → 300 kWh × 7.90 = 2,370.00
    # 2024-04: the curtailment discount is abolished → 3,750.50 → 3,750
    assert (line["tariff_id"], line["contract_source"]) == (
        "01-dento-hyojun-2024-04",
        "default_menu, kW: contract_demand_breakdown",
    )
    assert (line["basic_charge"], line["energy_charge"], line["curtailment_discount"]) == (
        D("1380.50"),
        D("2370.00"),
        D("0.00"),
    )
    assert line["total_yen"] == D("3750") and line["period_start"] == date(2024, 4, 1)
    assert (line["status"], line["reason"], line["rate_status"]) == ("computed", None, "confirmed")
    (m,) = compute_wheeling_charges(c, MARCH, None).to_pylist()
    # HEPCO's rates of 2023-04 .. 2024-03 are not public (tariffs-public.md §2.1): not computed, amounts NULL
    assert (m["status"], m["total_yen"], m["basic_charge"]) == ("not_computed", None, None)
    assert "no tariff menu marked default_menu for area 01 low voltage on 2024-03-31" in m["reason"]


def test_compute_takes_the_contract_register_first(tmp_path: Path) -> None:
    flat, late = pid(41), pid(42)
    files = Files(tmp_path / "files")
    points = [point(flat), point(late, monthly_kwh=D("300"))]
    confirmed = every_day(points[:1], DAYS, [D(0)] * 48) | every_day(points[1:], DAYS)
    files.monthly(APRIL, points, confirmed)
    files.form2(APRIL, [form2_row(late, APRIL, APRIL, "5", "5")])
    c = connect(files.load(tmp_path / "wh"))
    c.execute(
        """CREATE TEMP TABLE supply_point_contracts (supply_point_id VARCHAR, area_code VARCHAR, valid_from DATE,
           valid_to DATE, service_menu VARCHAR, contract_basis VARCHAR, contract_quantity DECIMAL(18,6),
           items VARCHAR, supply_start DATE, supply_end DATE, source_file VARCHAR)"""
    )
    c.execute(
        "INSERT INTO supply_point_contracts VALUES (?, '01', DATE '2024-01-01', NULL, '電灯定額接続送電サービス', "
        "'lamp', NULL, '20W以下=2', NULL, NULL, 'c.csv'), (?, '01', NULL, NULL, '電灯標準接続送電サービス', 'kW', "
        "NULL, NULL, DATE '2024-04-04', NULL, 'c.csv')",
        [flat, late],
    )
    lines = {r["supply_point_id"]: r for r in compute_wheeling_charges(c, APRIL, None).to_pylist()}
    # 定額 (HEPCO from 2024-04-01): 2 lamps × 83.23 = 166.46 → 166; no energy charge
    assert (lines[flat]["total_yen"], lines[flat]["contract_source"]) == (D("166"), "supply_point_contracts")
    # register menu, Form 2's 5 kW, supply from 04-04 (27 of 30 days, pro-rated): 5 × 276.10 × 27/30 = 1,242.45;
    # 300 kWh × 7.90 = 2,370.00; 3,612.45 → 3,612
    assert (lines[late]["basic_charge"], lines[late]["total_yen"]) == (D("1242.45"), D("3612"))
    assert lines[late]["contract_source"] == "supply_point_contracts, kW: contract_demand_breakdown"
    assert (lines[late]["period_start"], lines[late]["is_prorated"]) == (date(2024, 4, 4), True)
