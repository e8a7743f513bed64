"""Invoice against recomputation (請求明細と再計算の照合): the ``charge_differences`` view, as DuckDB SQL.

One row per supply point × billing month that has a TSO invoice line (``tso_invoice_lines``) or a
recomputed charge (``wheeling_charges``):

* ``match``: both sides, totals within ±1 yen (sen rounding, wheeling-charges.md §12 step 7);
* ``differs``: both sides, the totals differ by more; ``cause`` names the first component that differs
  and by how much, in this order: contract quantity (契約電力), kWh per band (昼間・夜間・全時間),
  pro-rating (日割: the period's days), unit price (単価), power factor (力率), discount (制限中止割引),
  then the money components (basic, energy, other charges) when no stated input differs;
* ``not_invoiced``: a recomputed line with no invoice line;
* ``not_recomputed``: an invoice line with no computed charge (``cause`` says why).

A component is compared only when the invoice states it (the detail layout varies by TSO). The
recomputed unit prices are implied by the charge line: energy charge ÷ kWh for a line with one energy
band and one rate set, basic charge ÷ contract quantity for such a line that is not pro-rated (exact for
one price per line, as the sen-rounded product of a whole quantity and a 2-decimal price).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

MATCH_TOLERANCE_YEN = 1  # ±1 yen per line from sen rounding (§12 step 7)
DIFFERENCES_VIEW = "charge_differences"

# (cause_component, invoiced, recomputed, unit, label): compared in this order, the first that differs wins.
COMPONENTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("contract_quantity", "round(i.contract_quantity)", "c.contract_quantity", "", "契約電力 contract quantity"),
    ("kwh_day", "round(i.kwh_day)", "c.kwh_day", " kWh", "昼間電力量 day kWh"),
    ("kwh_night", "round(i.kwh_night)", "c.kwh_night", " kWh", "夜間電力量 night kWh"),
    ("kwh", "round(i.kwh)", "c.billed_kwh", " kWh", "使用電力量 kWh"),
    ("period_days", "(i.period_end - i.period_start + 1)", "c.period_days", " days", "日割 pro-rating (days)"),
    ("basic_unit_price", "i.basic_unit_price", "c.basic_unit_price", " yen", "基本料金単価 basic unit price"),
    ("energy_unit_price", "i.energy_unit_price", "c.energy_unit_price", " yen/kWh", "電力量料金単価 energy price"),
    ("power_factor", "round(i.power_factor)", "c.power_factor", " %", "力率 power factor"),
    ("curtailment_discount", "i.curtailment_discount", "c.curtailment_discount", " yen", "制限中止割引 discount"),
    ("basic_charge", "i.basic_charge", "c.basic_charge", " yen", "基本料金 basic charge"),
    ("energy_charge", "i.energy_charge", "c.energy_charge", " yen", "電力量料金 energy charge"),
    ("other_charges", "i.other_charges", "c.other_charges", " yen", "その他 other charges"),
)


def _text(value: str) -> str:
    return f"CAST(CAST({value} AS DECIMAL(18, 2)) AS VARCHAR)"


def _cause_cases() -> dict[str, str]:
    """CASE expressions for the first differing component, its two values and the readable cause."""
    parts: dict[str, list[str]] = {"component": [], "invoiced": [], "recomputed": [], "text": []}
    for name, inv, rec, unit, label in COMPONENTS:
        when = f"WHEN {inv} IS NOT NULL AND {rec} IS NOT NULL AND {inv} <> {rec} THEN"
        parts["component"].append(f"{when} '{name}'")
        parts["invoiced"].append(f"{when} CAST({inv} AS DECIMAL(18, 6))")
        parts["recomputed"].append(f"{when} CAST({rec} AS DECIMAL(18, 6))")
        parts["text"].append(
            f"{when} '{label}: invoiced ' || {_text(inv)} || '{unit}, recomputed ' || {_text(rec)} || '{unit} ('"
            f" || CASE WHEN {inv} > {rec} THEN '+' ELSE '' END || {_text(f'{inv} - {rec}')} || '{unit})'"
        )
    fallback = {
        "component": "'total'",
        "invoiced": "NULL",
        "recomputed": "NULL",
        "text": "'合計 total: the invoice states no component that differs'",
    }
    return {k: "CASE " + " ".join(v) + f" ELSE {fallback[k]} END" for k, v in parts.items()}


def charge_differences_sql(
    invoices: str = "tso_invoice_lines", charges: str = "wheeling_charges", reason_column: str = "reason"
) -> str:
    """SELECT of ``charge_differences`` over an invoice relation and a charge relation (views or tables).

    ``reason_column`` is the charge relation's column saying why a line was not computed.
    """
    cause = _cause_cases()
    tol = MATCH_TOLERANCE_YEN
    differs = f"abs(invoiced_total_yen - recomputed_total_yen) > {tol}"
    return f"""
WITH c AS (
    SELECT
        *,
        coalesce(power_factor_adjustment, 0) + coalesce(contract_excess_charge, 0)
            - coalesce(curtailment_discount, 0) AS other_charges,
        coalesce(tariff_ids, tariff_id) = tariff_id AS one_rate_set,
        CASE WHEN kwh_day IS NULL AND kwh_night IS NULL AND billed_kwh > 0 AND one_rate_set
             THEN CAST(energy_charge / billed_kwh AS DECIMAL(18, 2)) END AS energy_unit_price,
        CASE WHEN NOT is_prorated AND contract_quantity > 0 AND one_rate_set
             THEN CAST(basic_charge / contract_quantity AS DECIMAL(18, 2)) END AS basic_unit_price
    FROM {charges}
), joined AS (
    SELECT
        coalesce(i.supply_point_id, c.supply_point_id) AS supply_point_id,
        coalesce(i.area_code, c.area_code) AS area_code,
        coalesce(i.billing_month, c.target_month) AS billing_month,
        coalesce(i.period_start, c.period_start) AS period_start,
        coalesce(i.period_end, c.period_end) AS period_end,
        CAST(i.total_yen AS DECIMAL(18, 0)) AS invoiced_total_yen,
        CAST(CASE WHEN c.status = 'computed' THEN c.total_yen END AS DECIMAL(18, 0)) AS recomputed_total_yen,
        i.supply_point_id IS NOT NULL AS invoiced,
        c.status AS charge_status,
        c.{reason_column} AS charge_reason,
        {cause["component"]} AS first_component,
        {cause["invoiced"]} AS first_invoiced,
        {cause["recomputed"]} AS first_recomputed,
        {cause["text"]} AS first_text,
        c.tariff_id,
        i.source_file,
        i.source_line
    FROM (SELECT * FROM {invoices}) i
    FULL OUTER JOIN c ON c.supply_point_id = i.supply_point_id AND c.target_month = i.billing_month
)
SELECT
    supply_point_id, area_code, billing_month, period_start, period_end, invoiced_total_yen, recomputed_total_yen,
    CAST(invoiced_total_yen - recomputed_total_yen AS DECIMAL(18, 0)) AS difference_yen,
    CASE
        WHEN NOT invoiced THEN 'not_invoiced'
        WHEN recomputed_total_yen IS NULL THEN 'not_recomputed'
        WHEN {differs} THEN 'differs'
        ELSE 'match'
    END AS status,
    CASE
        WHEN NOT invoiced THEN 'no invoice line for this recomputed charge'
        WHEN charge_status IS NULL THEN 'takuso has no usage for this supply point and month'
        WHEN recomputed_total_yen IS NULL THEN 'not computed: ' || coalesce(charge_reason, '')
        WHEN {differs} THEN first_text
    END AS cause,
    CASE WHEN {differs} THEN first_component END AS cause_component,
    CASE WHEN {differs} THEN first_invoiced END AS cause_invoiced,
    CASE WHEN {differs} THEN first_recomputed END AS cause_recomputed,
    tariff_id,
    source_file,
    source_line
FROM joined
"""


def month_differences(con: duckdb.DuckDBPyConnection, charges: pa.Table, month: date) -> pa.Table | None:
    """``charge_differences`` of ``month`` for freshly computed ``charges`` (None when no invoice is loaded).

    The invoice lines come from the connection's ``tso_invoice_lines``; the charges are registered as a
    relation, so a read-only catalog connection works.
    """
    try:
        (invoiced,) = con.execute("SELECT count(*) FROM tso_invoice_lines WHERE billing_month = ?", [month]).fetchall()[
            0
        ]
    except duckdb.CatalogException:
        return None
    if not invoiced:
        return None
    reason = "reason" if "reason" in charges.column_names else "note"
    con.register("recomputed_charges", charges)
    try:
        invoices = f"(SELECT * FROM tso_invoice_lines WHERE billing_month = DATE '{month.isoformat()}')"
        sql = charge_differences_sql(invoices, "recomputed_charges", reason)
        rel = con.sql(f"SELECT * FROM ({sql}) ORDER BY abs(difference_yen) DESC NULLS LAST, supply_point_id")
        return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()
    finally:
        con.unregister("recomputed_charges")
