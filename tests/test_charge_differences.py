"""charge_differences: every TSO invoice line against the recomputed charge, with hand-computed cases.

Rates (HEPCO NW from 2025-10-01, wheeling-charges.md §11.2; HV figures only as arithmetic):
電灯標準 basic 295.90 yen/kW, energy 8.24 yen/kWh; 電灯時間帯別 day 8.56, night 7.88; HV 842.60 yen/kW, 2.28 yen/kWh.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from reconcile.differences import charge_differences_sql

MONTH = date(2025, 10, 1)
END = date(2025, 10, 31)

CHARGE_FIELDS = {
    "supply_point_id": pa.string(),
    "area_code": pa.string(),
    "target_month": pa.date32(),
    "period_start": pa.date32(),
    "period_end": pa.date32(),
    "period_days": pa.int32(),
    "is_prorated": pa.bool_(),
    "status": pa.string(),
    "reason": pa.string(),
    "tariff_id": pa.string(),
    "tariff_ids": pa.string(),
    "contract_quantity": pa.decimal128(18, 6),
    "billed_kwh": pa.decimal128(18, 6),
    "kwh_day": pa.decimal128(18, 6),
    "kwh_night": pa.decimal128(18, 6),
    "power_factor": pa.decimal128(18, 6),
    "basic_charge": pa.decimal128(18, 2),
    "power_factor_adjustment": pa.decimal128(18, 2),
    "energy_charge": pa.decimal128(18, 2),
    "contract_excess_charge": pa.decimal128(18, 2),
    "curtailment_discount": pa.decimal128(18, 2),
    "total_yen": pa.decimal128(18, 0),
}
INVOICE_FIELDS = {
    "supply_point_id": pa.string(),
    "area_code": pa.string(),
    "billing_month": pa.date32(),
    "period_start": pa.date32(),
    "period_end": pa.date32(),
    "contract_quantity": pa.decimal128(18, 6),
    "kwh": pa.decimal128(18, 6),
    "kwh_day": pa.decimal128(18, 6),
    "kwh_night": pa.decimal128(18, 6),
    "power_factor": pa.decimal128(18, 6),
    "basic_unit_price": pa.decimal128(18, 2),
    "energy_unit_price": pa.decimal128(18, 2),
    "basic_charge": pa.decimal128(18, 2),
    "power_factor_adjustment": pa.decimal128(18, 2),
    "energy_charge": pa.decimal128(18, 2),
    "curtailment_discount": pa.decimal128(18, 2),
    "other_charges": pa.decimal128(18, 2),
    "total_yen": pa.decimal128(18, 2),
    "source_file": pa.string(),
    "source_line": pa.int32(),
}


def point(n: int) -> str:
    return f"01{n:020d}"


def charge(n: int, **values: Any) -> dict[str, Any]:
    base = {
        "supply_point_id": point(n),
        "area_code": "01",
        "target_month": MONTH,
        "period_start": MONTH,
        "period_end": END,
        "period_days": 31,
        "is_prorated": False,
        "status": "computed",
        "tariff_id": "hepco-lv-hyojun-2025-10",
        "power_factor_adjustment": D("0"),
        "contract_excess_charge": D("0"),
        "curtailment_discount": D("0"),
    }
    return base | values


def invoice(n: int, line: int, **values: Any) -> dict[str, Any]:
    base = {
        "supply_point_id": point(n),
        "area_code": "01",
        "billing_month": MONTH,
        "period_start": MONTH,
        "period_end": END,
        "source_file": "tso_invoice_lines_01_202510.csv",
        "source_line": line,
    }
    return base | values


# 電灯標準 5 kW, 300 kWh: basic 5 × 295.90 = 1,479.50; energy 300 × 8.24 = 2,472.00; total 3,951.50 → 3,951
STANDARD = {
    "contract_quantity": D(5),
    "billed_kwh": D(300),
    "basic_charge": D("1479.50"),
    "energy_charge": D("2472.00"),
    "total_yen": D(3951),
}
# 電灯時間帯別 5 kW, day 200 kWh × 8.56 = 1,712.00, night 100 kWh × 7.88 = 788.00; 1,479.50 + 2,500.00 → 3,979
TIME_OF_USE = {
    "tariff_id": "hepco-lv-jikantai-2025-10",
    "contract_quantity": D(5),
    "billed_kwh": D(300),
    "kwh_day": D(200),
    "kwh_night": D(100),
    "basic_charge": D("1479.50"),
    "energy_charge": D("2500.00"),
    "total_yen": D(3979),
}
# 高圧 50 kW × 842.60 = 42,130.00; PF 90 % → × 0.95: adjustment −2,106.50; 10,000 kWh × 2.28 = 22,800.00;
# total 42,130.00 − 2,106.50 + 22,800.00 = 62,823.50 → 62,823
HIGH = {
    "tariff_id": "hepco-hv-2025-10",
    "contract_quantity": D(50),
    "billed_kwh": D(10000),
    "power_factor": D(90),
    "basic_charge": D("42130.00"),
    "power_factor_adjustment": D("-2106.50"),
    "energy_charge": D("22800.00"),
    "total_yen": D(62823),
}

CHARGES = [
    charge(1, **STANDARD),  # invoiced identically → match
    charge(2, **STANDARD),  # invoiced 1 yen more → match
    charge(3, **STANDARD),  # invoiced at 8.30 yen/kWh → differs: energy unit price
    charge(4, **TIME_OF_USE),  # invoiced 110 night kWh → differs: kWh night band
    charge(105, **HIGH),  # invoiced 52 kW → differs: contract quantity
    charge(6, **STANDARD),  # no invoice line → not_invoiced
    charge(8, status="not_computed", reason="no tariff for area 01 menu 'X' on 2025-10-31"),  # → not_recomputed
]
INVOICES = [
    invoice(1, 2, contract_quantity=D(5), kwh=D(300), basic_charge=D("1479.50"), energy_charge=D("2472.00"),
            other_charges=D(0), total_yen=D(3951)),
    # 1,479.50 + 2,472.90 = 3,952.40 → 3,952: one yen above the recomputed 3,951 is sen rounding
    invoice(2, 3, contract_quantity=D(5), kwh=D(300), basic_charge=D("1479.50"), energy_charge=D("2472.90"),
            other_charges=D(0), total_yen=D(3952)),
    # 300 × 8.30 = 2,490.00; 1,479.50 + 2,490.00 = 3,969.50 → 3,969 (+18)
    invoice(3, 4, contract_quantity=D(5), kwh=D(300), energy_unit_price=D("8.30"), basic_charge=D("1479.50"),
            energy_charge=D("2490.00"), other_charges=D(0), total_yen=D(3969)),
    # night 110 × 7.88 = 866.80; 1,479.50 + 1,712.00 + 866.80 = 4,058.30 → 4,058 (+79)
    invoice(4, 5, contract_quantity=D(5), kwh_day=D(200), kwh_night=D(110), basic_charge=D("1479.50"),
            energy_charge=D("2578.80"), other_charges=D(0), total_yen=D(4058)),
    # 52 × 842.60 = 43,815.20; × 0.95 → −2,190.76; 43,815.20 − 2,190.76 + 22,800.00 = 64,424.44 → 64,424 (+1,601)
    invoice(105, 6, contract_quantity=D(52), kwh=D(10000), power_factor=D(90), basic_charge=D("43815.20"),
            power_factor_adjustment=D("-2190.76"), energy_charge=D("22800.00"), total_yen=D(64424)),
    invoice(7, 7, total_yen=D(5000)),  # a point takuso has no usage for → not_recomputed
    invoice(8, 8, total_yen=D(4000)),
]  # fmt: skip


@pytest.fixture(scope="module")
def differences() -> dict[str, dict[str, Any]]:
    con = duckdb.connect()
    charges = pa.Table.from_pylist(CHARGES, schema=pa.schema(CHARGE_FIELDS))
    invoices = pa.Table.from_pylist(INVOICES, schema=pa.schema(INVOICE_FIELDS))
    con.register("wheeling_charges", charges)
    con.register("tso_invoice_lines", invoices)
    cur = con.execute(charge_differences_sql())
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return {r["supply_point_id"][-3:].lstrip("0"): r for r in rows}


def test_identical_invoice_line_matches(differences: dict[str, dict[str, Any]]) -> None:
    r = differences["1"]
    assert (r["status"], r["difference_yen"], r["cause"]) == ("match", D(0), None)


def test_one_yen_is_sen_rounding_and_still_matches(differences: dict[str, dict[str, Any]]) -> None:
    r = differences["2"]
    assert (r["status"], r["invoiced_total_yen"], r["recomputed_total_yen"], r["difference_yen"]) == (
        "match",
        D(3952),
        D(3951),
        D(1),
    )
    assert r["cause_component"] is None


def test_a_different_rate_is_named_with_both_prices(differences: dict[str, dict[str, Any]]) -> None:
    r = differences["3"]
    assert (r["status"], r["difference_yen"], r["cause_component"]) == ("differs", D(18), "energy_unit_price")
    assert (r["cause_invoiced"], r["cause_recomputed"]) == (D("8.30"), D("8.24"))  # 2,472.00 / 300 = 8.24
    assert "+0.06" in r["cause"]


def test_a_different_kwh_band_is_named(differences: dict[str, dict[str, Any]]) -> None:
    r = differences["4"]
    assert (r["status"], r["difference_yen"], r["cause_component"]) == ("differs", D(79), "kwh_night")
    assert (r["cause_invoiced"], r["cause_recomputed"]) == (D(110), D(100))
    assert "+10.00 kWh" in r["cause"]


def test_a_different_contract_kw_is_named_before_the_money(differences: dict[str, dict[str, Any]]) -> None:
    r = differences["105"]
    assert (r["status"], r["difference_yen"], r["cause_component"]) == ("differs", D(1601), "contract_quantity")
    assert (r["cause_invoiced"], r["cause_recomputed"]) == (D(52), D(50))


def test_lines_on_one_side_only(differences: dict[str, dict[str, Any]]) -> None:
    assert differences["6"]["status"] == "not_invoiced"
    assert differences["6"]["invoiced_total_yen"] is None and differences["6"]["recomputed_total_yen"] == D(3951)
    assert differences["7"]["status"] == "not_recomputed"
    assert "no usage" in differences["7"]["cause"]
    assert differences["8"]["status"] == "not_recomputed"
    assert "no tariff" in differences["8"]["cause"]


def test_every_line_of_either_side_appears_once(differences: dict[str, dict[str, Any]]) -> None:
    assert sorted(differences) == sorted(["1", "2", "3", "4", "105", "6", "7", "8"])
