"""The contract register (託送契約台帳, ``supply_point_contracts``) and where each charge's contract comes from.

The retailer knows each point's wheeling contract (接続送電サービスメニュー, contract basis and quantity,
lamps and appliances of a 定額 point, supply start and end) from its own systems. The register is loaded
like a CSV form, header-driven through the alias map (form id ``supply_point_contracts``), from CSV or
Parquet (docs/billing.md); every loaded file is kept (``supply_point_contracts_history``).

Effective dating with history: the current register shows, for each supply point and day, the row of the
most recently loaded file whose validity (``valid_from`` .. ``valid_to``, both inclusive, open-ended when
``valid_to`` is empty) covers that day. A new file therefore replaces the validity periods it covers and
keeps the rest: a file valid from 2025-10-01 cuts an older open-ended row at 2025-09-30.

The charge calculation reads the current register (``reconcile/compute.py``): the register first, then
Form 2 (contract kW of 実量制 points), then the tariff's default menu; each line says which it used.
"""

from __future__ import annotations

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
