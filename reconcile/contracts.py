"""The contract register (託送契約台帳, ``supply_point_contracts``) and where each charge's contract comes from.

The retailer knows each point's wheeling contract (接続送電サービスメニュー, contract basis and quantity,
lamps and appliances of a 定額 point, supply start and end) from its own systems. The register is loaded
like a CSV form, header-driven through the alias map (form id ``supply_point_contracts``), from CSV or
Parquet (docs/billing.md); every loaded file is kept (``supply_point_contracts_history``).

Effective dating with history: the current register shows, for each supply point and day, the row of the
most recently loaded file whose validity (``valid_from`` .. ``valid_to``, both inclusive, open-ended when
``valid_to`` is empty) covers that day. A new file therefore replaces the validity periods it covers and
keeps the rest: a file valid from 2025-10-01 cuts an older open-ended row at 2025-09-30.

The charge calculation takes each point's contracts (:class:`reconcile.contract.SupplyPointContract`)
from, in this order: the register, Form 2 (contract kW of 実量制 points), the tariff's default menu
(:func:`contracts_for_period`); each value says which in ``source``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from reconcile.contract import (
    SOURCE_DEFAULT_MENU,
    SOURCE_FORM2,
    SOURCE_REGISTER,
    SupplyPointContract,
    parse_items,
)

REGISTER_VIEW = "supply_point_contracts"
OPEN_END = "DATE '9999-12-31'"
_COLUMNS = (
    "area_code", "voltage", "service_menu", "contract_basis", "contract_quantity", "items", "supply_start",
    "supply_end", "reading_schedule_code", "source_file", "source_line", "loaded_at", "file_id",
)  # fmt: skip


def register_sql(history: str = "supply_point_contracts_history") -> str:
    """SELECT of the current register from every loaded row (``history``): for each day, the latest file wins.

    The validity boundaries of a point cut its time into segments; each segment takes the row of the most
    recently loaded file covering it; consecutive segments of one row are merged back into one period.
    """
    columns = ", ".join(f"any_value({c}) AS {c}" for c in _COLUMNS)
    return f"""
WITH h AS (
    SELECT *, coalesce(valid_to, {OPEN_END}) AS until FROM {history}
), bounds AS (
    SELECT supply_point_id, valid_from AS day FROM h
    UNION
    SELECT supply_point_id, CAST(until + 1 AS DATE) FROM h WHERE until < {OPEN_END}
), segments AS (
    SELECT supply_point_id, day AS seg_from,
           coalesce(CAST(lead(day) OVER (PARTITION BY supply_point_id ORDER BY day) - 1 AS DATE), {OPEN_END})
               AS seg_to
    FROM bounds
), picked AS (
    SELECT s.seg_from, s.seg_to, h.*
    FROM segments s
    JOIN h ON h.supply_point_id = s.supply_point_id AND s.seg_from BETWEEN h.valid_from AND h.until
    QUALIFY row_number() OVER (
        PARTITION BY s.supply_point_id, s.seg_from ORDER BY h.loaded_at DESC, h.file_id DESC, h.source_line DESC
    ) = 1
), islands AS (
    SELECT *,
        row_number() OVER (PARTITION BY supply_point_id ORDER BY seg_from)
        - row_number() OVER (PARTITION BY supply_point_id, file_id, source_line ORDER BY seg_from) AS island
    FROM picked
)
SELECT
    supply_point_id,
    min(seg_from) AS valid_from,
    CAST(nullif(max(seg_to), {OPEN_END}) AS DATE) AS valid_to,
    {columns}
FROM islands
GROUP BY supply_point_id, file_id, source_line, island
"""


def _contract(row: Mapping[str, Any], area_code: str) -> SupplyPointContract:
    return SupplyPointContract(
        supply_point_id=row["supply_point_id"],
        area_code=row.get("area_code") or area_code,
        service_menu=row["service_menu"],
        contract_basis=row.get("contract_basis"),
        contract_quantity=row.get("contract_quantity"),
        items=parse_items(row.get("items")),
        supply_start=row.get("supply_start"),
        supply_end=row.get("supply_end"),
        valid_from=row.get("valid_from"),
        valid_to=row.get("valid_to"),
        source=SOURCE_REGISTER,
    )


def register_rows_in_period(rows: list[Mapping[str, Any]], start: date, end: date) -> list[Mapping[str, Any]]:
    """The register rows of one point valid on some day of ``start`` .. ``end`` (inclusive), by ``valid_from``."""
    inside = [r for r in rows if r["valid_from"] <= end and (r.get("valid_to") is None or r["valid_to"] >= start)]
    return sorted(inside, key=lambda r: r["valid_from"])


def contracts_for_period(
    point: str,
    area_code: str,
    start: date,
    end: date,
    register: list[Mapping[str, Any]],
    form2: Mapping[str, Any] | None,
    default_menu: str | None,
) -> list[SupplyPointContract]:
    """A point's contracts for one billing period: the register, else Form 2, else the default menu.

    * register rows valid in the period (several when the contract changes inside it);
    * else Form 2: its menu (or the default menu) with the 実量制 contract kW (basis ``kW``);
    * else the tariff's default menu for the area and voltage, with no quantity (the calculation then
      says what is missing).

    A register row without a quantity on a kW basis takes Form 2's contract kW (and says so in ``source``).
    Returns ``[]`` when no menu is known at all.
    """
    rows = register_rows_in_period(register, start, end)
    f2_kw: Decimal | None = (form2 or {}).get("contract_kw")
    if rows:
        out = []
        for row in rows:
            contract = _contract(row, area_code)
            if contract.contract_quantity is None and contract.contract_basis in (None, "kW") and f2_kw is not None:
                contract = replace(contract, contract_quantity=f2_kw, source=f"{SOURCE_REGISTER}+{SOURCE_FORM2}")
            out.append(contract)
        return out
    menu = (form2 or {}).get("service_menu") or default_menu
    if not menu:
        return []
    if f2_kw is not None:
        return [SupplyPointContract(point, area_code, menu, "kW", f2_kw, source=SOURCE_FORM2)]
    return [SupplyPointContract(point, area_code, menu, source=SOURCE_DEFAULT_MENU)]


def register_by_point(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Register rows grouped per supply point."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["supply_point_id"]].append(r)
    return dict(out)
