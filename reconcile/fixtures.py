"""A tiny in-memory warehouse with the contract views, for tests, examples and the report preview.

Creates ``interval_usage``, ``monthly_usage``, ``contract_demand_breakdown`` and ``curtailment_discounts``
as tables under the contract names and types (warehouse-contract.md): DECIMAL(18,6) quantities, DATE
dates, VARCHAR ids and codes. Rows are given as dicts; missing columns are NULL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
import pyarrow as pa

_ARROW = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "SMALLINT": pa.int16(),
    "TIMESTAMP": pa.timestamp("us"),
    "DECIMAL(18,6)": pa.decimal128(18, 6),
    "DECIMAL(9,6)": pa.decimal128(9, 6),
}

SCHEMAS: dict[str, tuple[tuple[str, str], ...]] = {
    "interval_usage": (
        ("supply_point_id", "VARCHAR"),
        ("area_code", "VARCHAR"),
        ("voltage", "VARCHAR"),
        ("usage_date", "DATE"),
        ("slot", "SMALLINT"),
        ("slot_start", "TIMESTAMP"),
        ("kwh", "DECIMAL(18,6)"),
        ("kwh_split", "DECIMAL(18,6)"),
        ("split_code", "VARCHAR"),
        ("billable_kwh", "DECIMAL(18,6)"),
        ("availability_code", "VARCHAR"),
        ("data_class", "VARCHAR"),
        ("message_kind", "VARCHAR"),
        ("revision", "VARCHAR"),
        ("source_file", "VARCHAR"),
    ),
    "monthly_usage": (
        ("supply_point_id", "VARCHAR"),
        ("area_code", "VARCHAR"),
        ("voltage", "VARCHAR"),
        ("target_month", "DATE"),
        ("meter_reading_date", "DATE"),
        ("split_code", "VARCHAR"),
        ("availability_code", "VARCHAR"),
        ("meter_kind_code", "VARCHAR"),
        ("monthly_kwh", "DECIMAL(18,6)"),
        ("monthly_kwh_split", "DECIMAL(18,6)"),
        ("power_factor", "DECIMAL(18,6)"),
        ("max_demand_kw", "DECIMAL(18,6)"),
        ("next_meter_reading_date", "DATE"),
        ("revision", "VARCHAR"),
        ("source_file", "VARCHAR"),
    ),
    "contract_demand_breakdown": (
        ("supply_point_id", "VARCHAR"),
        ("area_code", "VARCHAR"),
        ("billing_month", "DATE"),
        ("lookback_month", "DATE"),
        ("max_demand_kw", "DECIMAL(18,6)"),
        ("contract_kw", "DECIMAL(18,6)"),
        ("determination_kind", "VARCHAR"),
        ("service_menu", "VARCHAR"),
        ("source_file", "VARCHAR"),
    ),
    "curtailment_discounts": (
        ("supply_point_id", "VARCHAR"),
        ("area_code", "VARCHAR"),
        ("billing_month", "DATE"),
        ("period_start", "DATE"),
        ("period_end", "DATE"),
        ("discount_hours", "DECIMAL(18,6)"),
        ("discount_days", "SMALLINT"),
        ("discount_rate", "DECIMAL(9,6)"),
        ("source_file", "VARCHAR"),
    ),
}


def create_base_tables(
    con: duckdb.DuckDBPyConnection,
    *,
    intervals: Iterable[Mapping[str, Any]] = (),
    monthly: Iterable[Mapping[str, Any]] = (),
    demand: Iterable[Mapping[str, Any]] = (),
    curtailment: Iterable[Mapping[str, Any]] = (),
) -> None:
    """Create the four base relations as tables and insert the given rows."""
    for name, rows in (
        ("interval_usage", intervals),
        ("monthly_usage", monthly),
        ("contract_demand_breakdown", demand),
        ("curtailment_discounts", curtailment),
    ):
        columns = SCHEMAS[name]
        con.execute(f"CREATE OR REPLACE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns)})")
        records = [{c: row.get(c) for c, _ in columns} for row in rows]
        if records:
            schema = pa.schema([(c, _ARROW[t]) for c, t in columns])
            con.register("_fixture_rows", pa.Table.from_pylist(records, schema=schema))
            con.execute(f"INSERT INTO {name} SELECT * FROM _fixture_rows")
            con.unregister("_fixture_rows")


def day_slots(
    supply_point_id: str,
    usage_date: date,
    data_class: str,
    values: Sequence[Decimal | None] | Decimal,
    *,
    area_code: str = "01",
    voltage: str = "low",
    split_code: str | None = None,
    split_values: Sequence[Decimal | None] | Decimal | None = None,
    slots: Iterable[int] = range(1, 49),
) -> list[dict[str, Any]]:
    """``interval_usage`` rows of one day: ``values`` is one kWh per slot, or one kWh for every slot."""
    slot_list = list(slots)
    per_slot = list(values) if isinstance(values, Sequence) else [values] * len(slot_list)
    if split_values is None:
        split_list: list[Decimal | None] = [None] * len(slot_list)
    else:
        split_list = list(split_values) if isinstance(split_values, Sequence) else [split_values] * len(slot_list)
    if data_class == "confirmed" and split_code is None:
        split_code = "1"
    rows = []
    for slot, kwh, kwh_split in zip(slot_list, per_slot, split_list, strict=True):
        rows.append(
            {
                "supply_point_id": supply_point_id,
                "area_code": area_code,
                "voltage": voltage,
                "usage_date": usage_date,
                "slot": slot,
                "slot_start": datetime.combine(usage_date, datetime.min.time()) + timedelta(minutes=30 * (slot - 1)),
                "kwh": kwh,
                "kwh_split": kwh_split,
                "split_code": split_code,
                "billable_kwh": kwh_split if split_code == "2" else kwh,
                "availability_code": "0",
                "data_class": data_class,
                "message_kind": "low_monthly_usage" if data_class == "confirmed" else "low_energy_daily",
                "revision": "00",
                "source_file": "fixture",
            }
        )
    return rows


def period_days(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def demo_rows(month: date, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """A small, deterministic month of data for areas 01, 03 and 05 with a few planted problems.

    Point ``…0003`` (area 01) loses a confirmed day and its monthly total is 12 kWh too high (RC01, RC03);
    point ``…0004`` has no preliminary values on the 10th (RC04, GP02); point ``…0002`` has a Form 2 contract kW
    3 kW above its maximum demand (CD01); areas 03 and 05 have no tariff for 2024 (not computed).
    """
    import random

    rng = random.Random(seed)
    end = _month_end(month)
    days = period_days(month, end)
    intervals: list[dict[str, Any]] = []
    monthly: list[dict[str, Any]] = []
    demand: list[dict[str, Any]] = []
    for area in ("01", "03", "05"):
        for n in range(1, 5):
            point = f"{area}{'0' * 16}{n:04d}"
            total = Decimal(0)
            peak = Decimal(0)
            for d in days:
                shape = [Decimal(rng.randint(80, 400)) / 1000 for _ in range(48)]
                if area == "01" and n == 3 and d.day == 15:
                    # confirmed day lost: the preliminary values remain
                    intervals += day_slots(point, d, "preliminary", shape, area_code=area)
                    total += sum(shape, Decimal(0))
                    continue
                intervals += day_slots(point, d, "confirmed", shape, area_code=area)
                if not (area == "01" and n == 4 and d.day == 10):
                    intervals += day_slots(point, d, "preliminary", shape, area_code=area)
                total += sum(shape, Decimal(0))
                peak = max(peak, max(shape) * 2)
            if area == "01" and n == 3:
                total += Decimal(12)
            monthly.append(
                {
                    "supply_point_id": point,
                    "area_code": area,
                    "voltage": "low",
                    "target_month": month,
                    "meter_reading_date": end + timedelta(days=1),
                    "split_code": "1",
                    "availability_code": "0",
                    "monthly_kwh": total,
                    "max_demand_kw": peak,
                    "source_file": "demo",
                }
            )
            demand.append(
                {
                    "supply_point_id": point,
                    "area_code": area,
                    "billing_month": month,
                    "lookback_month": month,
                    "max_demand_kw": peak,
                    "contract_kw": peak.quantize(Decimal(1), rounding=ROUND_HALF_UP) + (3 if n == 2 else 0),
                    "determination_kind": "actual",
                    "source_file": "demo",
                }
            )
    return {"intervals": intervals, "monthly": monthly, "demand": demand, "curtailment": []}
