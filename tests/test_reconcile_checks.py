"""Reconciliation views (RC01-RC07, GP01-GP03, CD01-CD04) and compute_wheeling_charges on the contract views.

The base views are built as tables in an in-memory DuckDB under the contract names and types.
Every point below has 0.1 kWh in each of its 48 slots, so a full April (30 days) sums to 144 kWh.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import duckdb
import pytest

from reconcile.checks import create_reconciliation_views
from reconcile.compute import compute_wheeling_charges
from reconcile.fixtures import create_base_tables, day_slots, period_days

APRIL = date(2024, 4, 1)
DAYS = period_days(date(2024, 4, 1), date(2024, 4, 30))
SLOT = D("0.1")


def pid(n: int) -> str:
    return f"01{n:020d}"


def full(point: str, data_class: str, skip_day: date | None = None, **kw: Any) -> list[dict[str, Any]]:
    return [r for d in DAYS if d != skip_day for r in day_slots(point, d, data_class, SLOT, **kw)]


def monthly(point: str, kwh: D | None, **kw: Any) -> dict[str, Any]:
    row = dict(
        supply_point_id=point,
        area_code="01",
        voltage="low",
        target_month=APRIL,
        meter_reading_date=date(2024, 5, 1),
        split_code="1",
        availability_code="0",
        monthly_kwh=kwh,
        max_demand_kw=D("0.2"),
    )
    row.update(kw)
    return row


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    intervals: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    # P1 clean: 144 = 144 = 144
    intervals += full(pid(1), "confirmed") + full(pid(1), "preliminary")
    rows.append(monthly(pid(1), D("144")))
    # P2 RC01 only: monthly 145, confirmed 144 (diff 1.0 > 0.5); preliminary carries +1.0 in one slot → 145
    intervals += full(pid(2), "confirmed") + full(pid(2), "preliminary", skip_day=DAYS[0])
    intervals += day_slots(pid(2), DAYS[0], "preliminary", [D("1.1")] + [SLOT] * 47)
    rows.append(monthly(pid(2), D("145")))
    # P3 RC02 only: preliminary one slot +0.6 → 144.6; |144 − 144.6| = 0.6 > 0.5
    intervals += full(pid(3), "confirmed") + full(pid(3), "preliminary", skip_day=DAYS[0])
    intervals += day_slots(pid(3), DAYS[0], "preliminary", [D("0.7")] + [SLOT] * 47)
    rows.append(monthly(pid(3), D("144")))
    # P4 tolerance edge: monthly 144.5, both sums 144 → diff exactly 0.5, not more than 0.5 → no flag
    intervals += full(pid(4), "confirmed") + full(pid(4), "preliminary")
    rows.append(monthly(pid(4), D("144.5")))
    # P5 RC03 + GP01: 2 confirmed slots missing on 04-10 (monthly 143.8 = 144 − 0.2 agrees)
    intervals += full(pid(5), "confirmed", skip_day=DAYS[9]) + full(pid(5), "preliminary")
    intervals += day_slots(pid(5), DAYS[9], "confirmed", SLOT, slots=range(3, 49))
    rows.append(monthly(pid(5), D("143.8")))
    # P6 RC04 + GP02: no preliminary values on 04-20 (the confirmed ones exist): 144 − 4.8 = 139.2 → RC02 too
    intervals += full(pid(6), "confirmed") + full(pid(6), "preliminary", skip_day=DAYS[19])
    rows.append(monthly(pid(6), D("144")))
    # P7 RC05 + GP03: monthly usage not provided (提供可否 '1'), no 30-minute values at all
    rows.append(monthly(pid(7), None, availability_code="1"))
    # P8 RC06: previous reading 2024-03-20 → April period 03-20..04-30 = 42 days (|42 − 30| > 5)
    rows.append(monthly(pid(8), D("0"), target_month=date(2024, 3, 1), meter_reading_date=date(2024, 3, 20)))
    rows.append(monthly(pid(8), D("0")))
    # P9 RC07: TSO maximum demand 5 kW, recomputed 0.1 × 2 = 0.2 kW
    intervals += full(pid(9), "confirmed") + full(pid(9), "preliminary")
    rows.append(monthly(pid(9), D("144"), max_demand_kw=D("5")))
    # P10 partial supply: 全量 and 部分 records; billable = after-split 0.05 a slot = 72 kWh
    intervals += full(pid(10), "confirmed", split_code="2", split_values=D("0.05")) + full(pid(10), "preliminary")
    rows.append(monthly(pid(10), D("144"), split_code="1"))
    rows.append(monthly(pid(10), D("144"), split_code="2", monthly_kwh_split=D("72")))
    c = duckdb.connect()
    create_base_tables(c, intervals=intervals, monthly=rows)
    create_reconciliation_views(c, D("0.5"))
    return c


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


def test_tolerance_comes_from_configuration() -> None:
    c = duckdb.connect()
    create_base_tables(c, intervals=full(pid(4), "confirmed"), monthly=[monthly(pid(4), D("144.5"))])
    create_reconciliation_views(c, D("0.4"))
    assert recon(c, 4)["rc01_monthly_vs_confirmed"]
    with pytest.raises(ValueError, match="non-negative"):
        create_reconciliation_views(c, D("-1"))


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
    # billable: 48 × 0.05 × 30 = 72 against monthly_kwh_split 72; preliminary (全量) 144 against 全量 144
    assert (r["split_code"], r["monthly_kwh"], r["confirmed_interval_kwh"]) == ("2", 72, 72)
    assert r["preliminary_interval_kwh"] == 144 and r["flags"] == ""


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


def form2(point: str, contract: str, lookback: date, max_kw: str, kind: str = "actual") -> dict[str, Any]:
    return dict(
        supply_point_id=point,
        area_code="01",
        billing_month=APRIL,
        lookback_month=lookback,
        max_demand_kw=D(max_kw),
        contract_kw=D(contract),
        determination_kind=kind,
    )


@pytest.fixture(scope="module")
def demand_con() -> duckdb.DuckDBPyConnection:
    one = date(2024, 4, 1)
    intervals = (
        day_slots(pid(21), one, "confirmed", [D("2.6")] + [SLOT] * 47)  # 2.6 × 2 = 5.2 kW → 5
        + day_slots(pid(22), one, "confirmed", [D("2.5")] + [SLOT] * 47)  # 5 kW
        + day_slots(pid(23), one, "confirmed", [D("4.0")] + [SLOT] * 47)  # 8 kW
    )
    demand = [
        form2(pid(21), "5", APRIL, "5.2"),  # clean
        form2(pid(21), "5", date(2024, 3, 1), "4"),
        form2(pid(22), "6", APRIL, "5"),  # CD01: contract 6 ≠ max of its look-back months 5
        form2(pid(23), "5", APRIL, "5"),  # CD02 (8 > 5) and CD03 (April: 5 vs 8)
        form2(pid(24), "50", APRIL, "5", kind="negotiated"),  # 協議: not flagged
        form2(pid(25), "5", APRIL, "5"),  # CD04: two contract kW for one point
        form2(pid(25), "6", date(2024, 3, 1), "5"),
    ]
    c = duckdb.connect()
    create_base_tables(c, intervals=intervals, demand=demand)
    create_reconciliation_views(c, D("0.5"))
    return c


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
    assert "CD04" in flags[pid(25)][1]


# ---- compute_wheeling_charges on the views ----


def test_compute_wheeling_charges_reads_the_views() -> None:
    point = pid(31)
    march = date(2024, 3, 1)
    c = duckdb.connect()
    create_base_tables(
        c,
        intervals=full(point, "confirmed"),
        monthly=[
            monthly(point, D("300.4"), target_month=march, meter_reading_date=date(2024, 4, 1)),
            monthly(point, D("300.4")),
        ],
        demand=[form2(point, "5", APRIL, "5"), {**form2(point, "5", march, "5"), "billing_month": march}],
        curtailment=[
            dict(supply_point_id=point, area_code="01", billing_month=march, discount_days=1),
            dict(supply_point_id=point, area_code="01", billing_month=APRIL, discount_days=1),
        ],
    )
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
    (m,) = compute_wheeling_charges(c, march, None).to_pylist()
    # HEPCO's rates of 2023-04 .. 2024-03 are not public (tariffs-public.md §2.1): not computed, amounts NULL
    assert (m["status"], m["total_yen"], m["basic_charge"]) == ("not_computed", None, None)
    assert "no tariff menu marked default_menu for area 01 low voltage on 2024-03-31" in m["reason"]


def test_compute_takes_the_contract_register_first() -> None:
    flat, late = pid(41), pid(42)
    c = duckdb.connect()
    create_base_tables(
        c,
        intervals=[],
        monthly=[monthly(flat, D("0")), monthly(late, D("300"))],
        demand=[form2(late, "5", APRIL, "5")],
    )
    c.execute(
        """CREATE TABLE supply_point_contracts (supply_point_id VARCHAR, area_code VARCHAR, valid_from DATE,
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
