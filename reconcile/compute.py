"""Wheeling charges (託送料金) for a month: read the warehouse views, call the pure calculator, return rows.

The I/O edge of ``charges.py``. Inputs per supply point and billing period:

* period, billable monthly kWh, power factor, maximum demand: ``monthly_usage`` via ``periods.py``;
* 30-minute billable kWh (confirmed): ``interval_usage`` (time-of-use bands and price changes);
* contract kW and determination kind: ``contract_demand_breakdown`` (Form 2) for the billing month;
* curtailment days or rate: ``curtailment_discounts`` (Form 3);
* contracts: the contract register ``supply_point_contracts`` when it has rows for the point, else Form 2's
  menu and contract kW, else the tariff's default menu (``reconcile.contract``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from reconcile import rules
from reconcile.charges import ChargeInput, ChargeLine, calculate_charges
from reconcile.checks import intervals_sql
from reconcile.contract import (
    SOURCE_DEFAULT_MENU,
    SOURCE_FORM2,
    SOURCE_REGISTER,
    SupplyPointContract,
    contract_from_record,
)
from reconcile.periods import add_months, billing_periods_sql
from reconcile.tariff import TariffTable, load_tariffs
from warehouse.charges import charges_table

CONTRACTS_RELATION = SOURCE_REGISTER


def _exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    try:
        con.execute(f"SELECT * FROM {relation} LIMIT 0")
    except duckdb.CatalogException:
        return False
    return True


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _lookback_start(month: date) -> date:
    return add_months(month, -rules.CONTRACT_KW_LOOKBACK_MONTHS)


def _form2(con: duckdb.DuckDBPyConnection, month: date) -> dict[str, dict[str, Any]]:
    rows = _records(
        con,
        """SELECT supply_point_id, max(contract_kw) AS contract_kw, any_value(determination_kind) AS determination_kind,
                  any_value(service_menu) AS service_menu
           FROM contract_demand_breakdown WHERE billing_month = ? GROUP BY supply_point_id""",
        [month],
    )
    return {r["supply_point_id"]: r for r in rows}


def _register(con: duckdb.DuckDBPyConnection) -> dict[str, list[SupplyPointContract]]:
    """The contract register (``supply_point_contracts``), per supply point in order of ``valid_from``."""
    if not _exists(con, CONTRACTS_RELATION):  # a warehouse built before the register existed
        return {}
    out: dict[str, list[SupplyPointContract]] = defaultdict(list)
    for rec in _records(con, f"SELECT * FROM {CONTRACTS_RELATION} ORDER BY supply_point_id, valid_from NULLS FIRST"):
        out[rec["supply_point_id"]].append(contract_from_record(rec))
    return out


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
            f"""SELECT supply_point_id, max(kwh) * {rules.KW_PER_SLOT_KWH} AS kw FROM ({intervals_sql()})
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
            FROM ({intervals_sql()}) i
            JOIN ({billing_periods_sql()}) p
              ON p.supply_point_id = i.supply_point_id AND i.usage_date BETWEEN p.period_start AND p.period_end
            WHERE p.target_month = ? AND i.data_class = 'confirmed' AND i.kwh IS NOT NULL""",
        [month],
    ).fetchall()
    for point, day, slot, kwh in rows:
        out[point][day][int(slot)] = kwh
    return out


def _curtailment(con: duckdb.DuckDBPyConnection, month: date) -> dict[str, dict[str, Any]]:
    rows = _records(
        con,
        """SELECT supply_point_id, sum(discount_rate) AS rate, count(discount_rate) AS rates,
                  sum(discount_days) AS days
           FROM curtailment_discounts WHERE billing_month = ? GROUP BY supply_point_id""",
        [month],
    )
    return {r["supply_point_id"]: r for r in rows}


def _contracts_of(
    p: dict[str, Any],
    register: list[SupplyPointContract],
    f2: dict[str, Any],
    kw: tuple[Decimal | None, str],
    tariffs: TariffTable,
) -> tuple[SupplyPointContract, ...]:
    """The point's contracts in order of preference: the register, else Form 2, else the default menu.

    A register contract priced per kW without a quantity takes the contract kW of Form 2 (or the 12-month
    maximum, §5); ``source`` says where the menu and the quantity came from.
    """
    quantity, kw_source = kw
    if register:
        return tuple(
            replace(c, contract_quantity=quantity, source=f"{c.source}, kW: {kw_source}")
            if c.contract_quantity is None and (c.contract_basis or rules.DEFAULT_CONTRACT_BASIS) == "kW" and quantity
            else c
            for c in register
        )
    menu, source = f2.get("service_menu"), SOURCE_FORM2
    if not menu:
        # Assumed (no menu from the register or Form 2): the tariff's default_menu for the area and voltage.
        menu, source = tariffs.default_menu(p["area_code"], p["voltage"], p["period_end"]), SOURCE_DEFAULT_MENU
    if not menu:
        return ()
    return (
        SupplyPointContract(
            supply_point_id=p["supply_point_id"],
            area_code=p["area_code"],
            service_menu=menu,
            contract_quantity=quantity,
            source=source if kw_source in ("", source) else f"{source}, kW: {kw_source}",
        ),
    )


def charge_inputs(con: duckdb.DuckDBPyConnection, month: date, tariffs: TariffTable) -> list[ChargeInput]:
    """Build the calculator's inputs for every point with monthly usage in ``month``.

    A point without any contract (no register row, no Form 2 menu and no default menu in the tariff) has
    an input with no contracts: the calculator says so in the line's ``reason``.
    """
    month = month.replace(day=1)
    periods = _records(con, f"SELECT * FROM ({billing_periods_sql()}) WHERE target_month = ?", [month])
    form2 = _form2(con, month)
    register = _register(con)
    from_monthly, from_intervals = _twelve_month_max(con, month)
    slots = _slots(con, month)
    curtailment = _curtailment(con, month)
    inputs: list[ChargeInput] = []
    for p in periods:
        point = p["supply_point_id"]
        f2 = form2.get(point, {})
        kw: tuple[Decimal | None, str] = (None, "")
        for value, label in (
            (f2.get("contract_kw"), SOURCE_FORM2),
            (from_monthly.get(point), "monthly_usage max_demand_kw, 12 months (§5)"),
            (from_intervals.get(point), "interval_usage kWh × 2, 12 months (§5)"),
        ):
            if kw[0] is None and value is not None:
                kw = (value, label)
        cur = curtailment.get(point, {})
        inputs.append(
            ChargeInput(
                supply_point_id=point,
                area_code=p["area_code"],
                voltage=p["voltage"],
                target_month=month,
                period_start=p["period_start"],
                period_end=p["period_end"],
                contracts=_contracts_of(p, register.get(point, []), f2, kw, tariffs),
                power_factor=p["power_factor"],
                max_demand_kw=p["max_demand_kw"],
                determination_kind=f2.get("determination_kind"),
                monthly_kwh=p["monthly_kwh"],
                slot_kwh={d: dict(v) for d, v in slots.get(point, {}).items()},
                curtailment_rate=cur.get("rate") if cur.get("rates") else None,
                curtailment_days=int(cur["days"]) if cur.get("days") is not None else None,
            )
        )
    return inputs


def lines_to_table(lines: list[ChargeLine]) -> pa.Table:
    """Charge lines as the ``wheeling_charges`` Arrow table (exact decimal columns, never float)."""
    return charges_table([line.as_dict() for line in lines])


def compute_wheeling_charges(
    con: duckdb.DuckDBPyConnection,
    month: date,
    tariff_path: Path | None = None,
    curtailment_until: dict[str, date] | None = None,
) -> pa.Table:
    """The ``wheeling_charges`` rows of ``month`` (one per supply point × billing period), as a pyarrow Table.

    Reads the base views on ``con``; ``tariff_path`` is a user's tariff file or folder, merged over the
    shipped tables. Points that cannot be computed have ``status`` = 'not_computed', NULL amounts and the
    reason in ``reason``. The caller stores the rows.
    """
    tariffs = load_tariffs(tariff_path)
    lines = calculate_charges(charge_inputs(con, month, tariffs), tariffs, curtailment_until)
    lines.sort(key=lambda line: (line.area_code, line.supply_point_id, line.period_start))
    return lines_to_table(lines)
