"""Store recomputed wheeling charges (託送料金) so that the view ``wheeling_charges`` shows them.

Charges are derived data: recomputing a month adds a file ``charges/month=YYYY-MM/<UTC time>.parquet``
and the newest file of each month is what the view shows; the earlier ones stay, so the charges as of a
past moment are the newest file written by then. The source files they come from are never touched.
``CHARGE_COLUMNS`` is the one declaration of the dataset's columns: the Arrow schema the writer
uses, the base view ``ds_wheeling_charges`` and the view ``wheeling_charges`` all come from it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from core.files import atomic_target
from core.paths import WarehouseLayout
from warehouse.store import PARQUET_OPTIONS, month_dir

_KWH = "DECIMAL(18,6)"
_YEN = "DECIMAL(18,2)"

# (column, DuckDB type) of one wheeling_charges row: supply point × billing period
CHARGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("supply_point_id", "VARCHAR"),
    ("area_code", "VARCHAR"),
    ("voltage", "VARCHAR"),
    ("target_month", "DATE"),
    ("period_start", "DATE"),  # the billing period, cut at the supply start and end
    ("period_end", "DATE"),
    ("period_days", "INTEGER"),
    ("reference_days", "INTEGER"),
    ("is_prorated", "BOOLEAN"),  # 日割
    ("service_menu", "VARCHAR"),  # 接続送電サービス
    ("status", "VARCHAR"),  # computed / not_computed
    ("reason", "VARCHAR"),  # why not computed
    ("rate_status", "VARCHAR"),  # confirmed / secondary / user / example: the weakest of the rates used
    ("tariff_id", "VARCHAR"),  # the rate set valid on period_end
    ("tariff_ids", "VARCHAR"),  # every rate set used
    ("contract_source", "VARCHAR"),  # supply_point_contracts / contract_demand_breakdown / default_menu …
    ("contract_basis", "VARCHAR"),  # kW / kVA / A / lamp / appliance / main_switch_kW
    ("contract_unit", "VARCHAR"),
    ("contract_quantity", _KWH),
    ("power_factor", _KWH),
    ("pf_multiplier", _KWH),
    ("billed_kwh", _KWH),
    ("kwh_day", _KWH),
    ("kwh_night", _KWH),
    ("kwh_source", "VARCHAR"),  # monthly_usage / interval_usage / none
    ("discount_rate", _KWH),
    ("basic_charge", _YEN),
    ("power_factor_adjustment", _YEN),
    ("energy_charge", _YEN),
    ("contract_excess_charge", _YEN),
    ("curtailment_discount", _YEN),
    ("total_yen", "DECIMAL(18,0)"),
    ("detail", "VARCHAR"),  # the arithmetic of every line
    ("note", "VARCHAR"),
)
CHARGE_COLUMN_NAMES = tuple(name for name, _ in CHARGE_COLUMNS)

_ARROW = {"VARCHAR": pa.string(), "DATE": pa.date32(), "INTEGER": pa.int32(), "BOOLEAN": pa.bool_()}


def _arrow_type(sql_type: str) -> pa.DataType:
    decimal = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", sql_type)
    return pa.decimal128(int(decimal[1]), int(decimal[2])) if decimal else _ARROW[sql_type]


CHARGE_SCHEMA = pa.schema([(name, _arrow_type(sql_type)) for name, sql_type in CHARGE_COLUMNS])


def charges_table(rows: list[dict]) -> pa.Table:
    """Charge rows (column → value) as an Arrow table with exact decimal columns (never float)."""
    return pa.Table.from_pylist(rows, schema=CHARGE_SCHEMA)


def store_charges(layout: WarehouseLayout, month: date, charges: pa.Table) -> None:
    """Store a new version of ``month``'s charges (the caller holds the writer lock, then rebuilds the catalog)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    target = layout.datasets / "charges" / f"month={month_dir(month)}" / f"{stamp}.parquet"
    with atomic_target(target) as fh:
        pq.write_table(charges.cast(CHARGE_SCHEMA), fh, **PARQUET_OPTIONS)


def charge_files(layout: WarehouseLayout, as_of: datetime | None = None) -> list[Path]:
    """The newest charges file of every month (written at or before ``as_of``, UTC, when given)."""
    out = []
    for month in sorted((layout.datasets / "charges").glob("month=*")):
        versions = sorted(p for p in month.glob("*.parquet") if not p.name.startswith("."))
        if as_of is not None:  # "charges.parquet" was written before versions were kept: counted as the oldest
            limit = as_of.strftime("%Y%m%dT%H%M%S%f")
            versions = [p for p in versions if p.stem <= limit or p.stem == "charges"]
        if versions:
            out.append(max(versions, key=lambda p: "" if p.stem == "charges" else p.stem))
    return out
