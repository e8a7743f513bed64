"""Wheeling charges (託送料金) for a month: read the warehouse views, call the pure calculator, return rows.

The I/O edge of ``charges.py``. Inputs per supply point and billing period:

* period, billable monthly kWh, power factor, maximum demand: ``monthly_usage`` via ``periods.py``;
* 30-minute billable kWh (confirmed): ``interval_usage`` (time-of-use bands and price changes);
* contract kW and determination kind: ``contract_demand_breakdown`` (Form 2) for the billing month;
* curtailment days or rate: ``curtailment_discounts`` (Form 3);
* optional ``supply_point_contracts`` (supply_point_id, service_menu, contract_basis, contract_quantity):
  a relation the operator may provide with each point's menu (接続送電サービス) and contract basis.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from reconcile import rules
from reconcile.charges import CHARGE_COLUMNS, ChargeInput, ChargeLine, calculate_charges, not_computed
from reconcile.checks import intervals_sql
from reconcile.periods import billing_periods_sql
from reconcile.tariff import TariffTable, load_tariffs

CONTRACTS_RELATION = "supply_point_contracts"

_KWH = pa.decimal128(18, 6)
_YEN = pa.decimal128(18, 2)
CHARGE_SCHEMA = pa.schema(
    [
        ("supply_point_id", pa.string()),
        ("area_code", pa.string()),
        ("voltage", pa.string()),
        ("target_month", pa.date32()),
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
        ("period_days", pa.int32()),
        ("reference_days", pa.int32()),
        ("is_prorated", pa.bool_()),
        ("service_menu", pa.string()),
        ("status", pa.string()),
        ("tariff_id", pa.string()),
        ("tariff_ids", pa.string()),
        ("contract_basis", pa.string()),
        ("contract_unit", pa.string()),
        ("contract_quantity", _KWH),
        ("contract_kw_source", pa.string()),
        ("power_factor", _KWH),
        ("pf_multiplier", _KWH),
        ("billed_kwh", _KWH),
        ("kwh_day", _KWH),
        ("kwh_night", _KWH),
        ("kwh_source", pa.string()),
        ("discount_rate", _KWH),
        ("basic_charge", _YEN),
        ("power_factor_adjustment", _YEN),
        ("energy_charge", _YEN),
        ("contract_excess_charge", _YEN),
        ("curtailment_discount", _YEN),
        ("total_yen", pa.decimal128(18, 0)),
        ("detail", pa.string()),
        ("note", pa.string()),
    ]
)
assert tuple(CHARGE_SCHEMA.names) == CHARGE_COLUMNS


def _exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    try:
        con.execute(f"SELECT * FROM {relation} LIMIT 0")
    except duckdb.CatalogException:
        return False
    return True


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    return {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _lookback_start(month: date) -> date:
    index = month.year * 12 + month.month - 1 - rules.CONTRACT_KW_LOOKBACK_MONTHS
    return date(index // 12, index % 12 + 1, 1)


def _form2(con: duckdb.DuckDBPyConnection, month: date) -> dict[str, dict[str, Any]]:
    if not _exists(con, "contract_demand_breakdown"):
        return {}
    cols = _columns(con, "contract_demand_breakdown")
    kind = "any_value(determination_kind)" if "determination_kind" in cols else "NULL"
    menu = "any_value(service_menu)" if "service_menu" in cols else "NULL"
    rows = _records(
        con,
        f"""SELECT supply_point_id, max(contract_kw) AS contract_kw, {kind} AS determination_kind,
                   {menu} AS service_menu
            FROM contract_demand_breakdown WHERE billing_month = ? GROUP BY supply_point_id""",
        [month],
    )
    return {r["supply_point_id"]: r for r in rows}


def _contracts(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    if not _exists(con, CONTRACTS_RELATION):
        return {}
    rows = _records(
        con, f"SELECT supply_point_id, service_menu, contract_basis, contract_quantity FROM {CONTRACTS_RELATION}"
    )
    return {r["supply_point_id"]: r for r in rows}


def _twelve_month_max(con: duckdb.DuckDBPyConnection, month: date) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """§5 fallbacks for contract kW: max JP06445 of 12 months, and max 30-minute kWh × 2 of 12 months."""
    start = _lookback_start(month)
    from_monthly = {
        r["supply_point_id"]: r["kw"]
        for r in _records(
            con,
            """SELECT supply_point_id, max(max_demand_kw) AS kw FROM monthly_usage
               WHERE target_month BETWEEN ? AND ? AND max_demand_kw IS NOT NULL GROUP BY supply_point_id""",
            [start, month],
        )
    }
    from_intervals = {
        r["supply_point_id"]: r["kw"]
        for r in _records(
            con,
            f"""SELECT supply_point_id, max(kwh) * {rules.KW_PER_SLOT_KWH} AS kw FROM ({intervals_sql(con)})
                WHERE data_class = 'confirmed' AND usage_date BETWEEN ? AND last_day(CAST(? AS DATE))
                GROUP BY supply_point_id""",
            [start, month],
        )
    }
    return from_monthly, from_intervals


def _slots(con: duckdb.DuckDBPyConnection, month: date) -> dict[str, dict[date, dict[int, Decimal]]]:
    out: dict[str, dict[date, dict[int, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    rows = con.execute(
        f"""SELECT i.supply_point_id, i.usage_date, i.slot, i.kwh
            FROM ({intervals_sql(con)}) i
            JOIN ({billing_periods_sql()}) p
              ON p.supply_point_id = i.supply_point_id AND i.usage_date BETWEEN p.period_start AND p.period_end
            WHERE p.target_month = ? AND i.data_class = 'confirmed' AND i.kwh IS NOT NULL""",
        [month],
    ).fetchall()
    for point, day, slot, kwh in rows:
        out[point][day][int(slot)] = kwh
    return out


def _curtailment(con: duckdb.DuckDBPyConnection, month: date) -> dict[str, dict[str, Any]]:
    if not _exists(con, "curtailment_discounts"):
        return {}
    rows = _records(
        con,
        """SELECT supply_point_id, sum(discount_rate) AS rate, count(discount_rate) AS rates,
                  sum(discount_days) AS days
           FROM curtailment_discounts WHERE billing_month = ? GROUP BY supply_point_id""",
        [month],
    )
    return {r["supply_point_id"]: r for r in rows}


def charge_inputs(
    con: duckdb.DuckDBPyConnection, month: date, tariffs: TariffTable
) -> tuple[list[ChargeInput], dict[str, str]]:
    """Build the calculator's inputs for every point with monthly usage in ``month``.

    Returns the inputs and, per supply point, a reason when no input could be built (no menu known).
    """
    month = month.replace(day=1)
    periods = _records(con, f"SELECT * FROM ({billing_periods_sql()}) WHERE target_month = ?", [month])
    form2 = _form2(con, month)
    contracts = _contracts(con)
    from_monthly, from_intervals = _twelve_month_max(con, month)
    slots = _slots(con, month)
    curtailment = _curtailment(con, month)
    inputs: list[ChargeInput] = []
    problems: dict[str, str] = {}
    for p in periods:
        point = p["supply_point_id"]
        contract = contracts.get(point, {})
        f2 = form2.get(point, {})
        menu = contract.get("service_menu") or f2.get("service_menu")
        if not menu:
            # Assumed (no view carries the menu): the tariff file's default_menu for the area and voltage.
            menu = tariffs.default_menu(p["area_code"], p["voltage"], p["period_end"])
        if not menu:
            problems[point] = (
                f"no service menu known: no supply_point_contracts or Form 2 menu, and no tariff row for area "
                f"{p['area_code']} {p['voltage']} voltage marked default_menu valid on {p['period_end']}; add the "
                f"rates to the tariff file or a {CONTRACTS_RELATION} row"
            )
        quantity, source = contract.get("contract_quantity"), CONTRACTS_RELATION
        for value, label in (
            (f2.get("contract_kw"), "contract_demand_breakdown"),
            (from_monthly.get(point), "monthly_usage max_demand_kw, 12 months (§5)"),
            (from_intervals.get(point), "interval_usage kWh × 2, 12 months (§5)"),
        ):
            if quantity is None and value is not None:
                quantity, source = value, label
        cur = curtailment.get(point, {})
        inputs.append(
            ChargeInput(
                supply_point_id=point,
                area_code=p["area_code"],
                voltage=p["voltage"],
                target_month=month,
                period_start=p["period_start"],
                period_end=p["period_end"],
                service_menu=menu or "",
                contract_basis=contract.get("contract_basis"),
                contract_quantity=quantity,
                contract_kw_source=source if quantity is not None else "",
                power_factor=p["power_factor"],
                max_demand_kw=p["max_demand_kw"],
                determination_kind=f2.get("determination_kind"),
                monthly_kwh=p["monthly_kwh"],
                slot_kwh={d: dict(v) for d, v in slots.get(point, {}).items()},
                curtailment_rate=cur.get("rate") if cur.get("rates") else None,
                curtailment_days=int(cur["days"]) if cur.get("days") is not None else None,
            )
        )
    return inputs, problems


def lines_to_table(lines: list[ChargeLine]) -> pa.Table:
    """Charge lines as a pyarrow Table with exact decimal columns (never float)."""
    return pa.Table.from_pylist([line.as_dict() for line in lines], schema=CHARGE_SCHEMA)


def compute_wheeling_charges(
    con: duckdb.DuckDBPyConnection,
    month: date,
    tariff_path: Path | None = None,
    curtailment_until: dict[str, date] | None = None,
) -> pa.Table:
    """The ``wheeling_charges`` rows of ``month`` (one per supply point × billing period), as a pyarrow Table.

    Reads the base views on ``con``; ``tariff_path`` is a tariff CSV or folder (default: the shipped
    tables). Points that cannot be computed have ``status`` = 'not_computed', NULL amounts and the reason
    in ``note``. The caller stores the rows.
    """
    tariffs = load_tariffs(tariff_path)
    inputs, problems = charge_inputs(con, month, tariffs)

    ready = [inp for inp in inputs if inp.supply_point_id not in problems]
    lines = calculate_charges(ready, tariffs, curtailment_until)
    lines += [not_computed(inp, problems[inp.supply_point_id]) for inp in inputs if inp.supply_point_id in problems]
    lines.sort(key=lambda line: (line.area_code, line.supply_point_id, line.period_start))
    return lines_to_table(lines)
