"""The billing views of the catalog (請求照合ビュー): contract register, TSO invoice lines, their differences.

Created by :func:`create_billing_views` on the catalog being built (through ``reconcile.checks.
catalog_views``), over the datasets ``ds_supply_point_contracts`` and ``ds_tso_invoice_lines`` (files
loaded by ``takuso ingest``, header-driven like the CSV forms) and the stored ``wheeling_charges``:

* ``supply_point_contracts_history``: every register row ever loaded, with its file;
* ``supply_point_contracts``: the current register (``reconcile/contracts.py``: later files win per day);
* ``tso_invoice_lines_history`` / ``tso_invoice_lines``: every invoice file / the latest download per area
  and billing month (a re-download replaces the month's lines);
* ``charge_differences``: invoice lines against recomputed charges (``reconcile/differences.py``).
"""

from __future__ import annotations

import duckdb

from reconcile.contracts import REGISTER_VIEW, register_sql
from reconcile.differences import DIFFERENCES_VIEW, charge_differences_sql

INVOICE_VIEW = "tso_invoice_lines"

_LOADED = """loaded_files AS (
    SELECT * FROM file_ledger WHERE status = 'loaded'
    QUALIFY row_number() OVER (PARTITION BY file_id ORDER BY ingested_at DESC) = 1)"""

VIEW_COMMENTS: dict[str, str] = {
    f"{REGISTER_VIEW}_history": "託送契約台帳の全履歴 / every contract-register row ever loaded, with its file",
    REGISTER_VIEW: "託送契約台帳 / each supply point's wheeling contract per validity period: for each day the "
    "most recently loaded file that covers it (docs/billing.md)",
    f"{INVOICE_VIEW}_history": "託送料金請求明細の全履歴 / every TSO invoice line ever loaded",
    INVOICE_VIEW: "託送料金請求明細 / the TSO's invoice lines per supply point: latest download per area and "
    "billing month",
    DIFFERENCES_VIEW: "請求照合 / every invoice line against the recomputed charge: match (±1 yen), differs "
    "(with the first differing component), not_invoiced, not_recomputed",
}

COLUMN_COMMENTS: dict[str, str] = {
    "valid_from": "適用開始日 / first day the contract applies",
    "valid_to": "適用終了日 / last day the contract applies (NULL = open-ended)",
    "contract_basis": "契約種別 / what the basic charge is priced on: kW, kVA, A, main_switch_kW, lamp, appliance",
    "items": "定額品目 / lamps and appliances of a 定額 point, size=count;size=count",
    "supply_start": "供給開始日 / first day the point is supplied",
    "supply_end": "供給終了日 / last day the point is supplied",
    "reading_schedule_code": "検針日程 / meter reading schedule (日程) of the point",
    "kwh": "使用電力量 / kWh invoiced",
    "basic_unit_price": "基本料金単価 / basic unit price invoiced, yen",
    "energy_unit_price": "電力量料金単価 / energy unit price invoiced, yen per kWh",
    "other_charges": "その他 / other charges: PF adjustment + contract excess − discount, yen",
    "invoice_number": "請求番号 / the TSO's invoice number",
    "invoiced_total_yen": "請求金額 / total the TSO invoiced, yen",
    "recomputed_total_yen": "再計算金額 / total takuso recomputed, yen (NULL when not computed)",
    "difference_yen": "差額 / invoiced − recomputed, yen",
    "cause": "差異原因 / the first component that differs and by how much, or why a side is missing",
    "cause_component": "差異項目 / contract_quantity, kwh_day, kwh_night, kwh, period_days, basic_unit_price, "
    "energy_unit_price, power_factor, curtailment_discount, basic_charge, energy_charge, other_charges or total",
    "cause_invoiced": "請求側の値 / the invoice's value of the differing component",
    "cause_recomputed": "再計算側の値 / takuso's value of the differing component",
    "not_provided_slots": "提供なしコマ数 (確定) / confirmed slots the TSO marked not provided (提供可否 '1'), "
    "also counted in missing_slots",
    "not_provided_preliminary_slots": "提供なしコマ数 (速報) / preliminary slots the TSO marked not provided "
    "(提供可否 '1'), also counted in missing_preliminary_slots",
    "loaded_at": "取込日時 / when the source file was loaded (UTC)",
    "source_line": "行番号 / line of the source file the row came from",
}


def _history_sql(dataset: str) -> str:
    return f"""WITH {_LOADED}
SELECT d.* EXCLUDE (extra, month), f.file_name AS source_file, f.ingested_at AS loaded_at
FROM {dataset} d JOIN loaded_files f USING (file_id)"""


def _latest_per_month_sql(history: str) -> str:
    return f"""WITH files AS (SELECT DISTINCT area_code, billing_month, file_id, loaded_at FROM {history}),
latest AS (SELECT area_code, billing_month, file_id FROM files
           QUALIFY row_number() OVER (PARTITION BY area_code, billing_month ORDER BY loaded_at DESC, file_id DESC) = 1)
SELECT h.* FROM {history} h SEMI JOIN latest USING (area_code, billing_month, file_id)"""


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    return {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}


def create_billing_views(con: duckdb.DuckDBPyConnection, temporary: bool = False) -> list[str]:
    """Create the billing views on a catalog connection; return their names."""
    kind = "TEMP VIEW" if temporary else "VIEW"
    reason = "reason" if "reason" in _columns(con, "wheeling_charges") else "note"
    views = [
        (f"{REGISTER_VIEW}_history", _history_sql("ds_supply_point_contracts")),
        (REGISTER_VIEW, register_sql(f"{REGISTER_VIEW}_history")),
        (f"{INVOICE_VIEW}_history", _history_sql("ds_tso_invoice_lines")),
        (INVOICE_VIEW, _latest_per_month_sql(f"{INVOICE_VIEW}_history")),
        (DIFFERENCES_VIEW, charge_differences_sql(INVOICE_VIEW, "wheeling_charges", reason)),
    ]
    for name, sql in views:
        con.execute(f"CREATE OR REPLACE {kind} {name} AS {sql}")
        con.execute(f"COMMENT ON VIEW {name} IS '{VIEW_COMMENTS[name].replace(chr(39), chr(39) * 2)}'")
    return [name for name, _ in views]


def comment_billing_columns(con: duckdb.DuckDBPyConnection, views: list[str]) -> None:
    """Comment the columns that the billing and reconciliation views add (the catalog comments the shared ones)."""
    for view in views:
        for (column,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [view]
        ).fetchall():
            comment = COLUMN_COMMENTS.get(column)
            if comment:
                con.execute(f"""COMMENT ON COLUMN {view}."{column}" IS '{comment.replace("'", "''")}'""")
