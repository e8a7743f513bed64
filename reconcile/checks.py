"""Reconciliation checks (照合チェック) as DuckDB views over the warehouse contract views.

Inputs (warehouse-contract.md, taken as given): ``interval_usage`` (with ``split_code``,
``billable_kwh``), ``monthly_usage``, ``contract_demand_breakdown``. Views created:

* ``reconcile_intervals`` (helper): one billable value per point × date × slot × data class.
* ``reconcile_billing_periods`` (helper): the billing period per point and month (``periods.py``).
* ``reconciliation_monthly``: monthly confirmed total vs 30-minute sums; flags RC01..RC07.
* ``usage_gaps``: slots expected (48) vs received per point × date × data class; ids GP01..GP03.
* ``reconcile_monthly_max_demand`` (helper): recomputed maximum demand (kWh × 2) per point and month.
* ``contract_demand_check``: 実量制 contract kW recomputed from 30-minute data vs Form 2; flags CD01..CD04.

Flag ids and meanings are listed in ``FLAGS`` and in docs/reconciliation.md.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb

from reconcile import rules
from reconcile.billing_views import comment_billing_columns, create_billing_views
from reconcile.periods import BILLING_PERIODS_VIEW, add_months, billing_periods_sql
from warehouse.catalog import INTERNAL, CatalogBuild, ViewBuilder

DEFAULT_TOLERANCE_KWH = Decimal("0.5")

RECONCILIATION_COMMENTS: dict[str, str] = {
    "reconciliation_monthly": "月次照合 / per supply point and month: monthly confirmed total against the "
    "confirmed and "
    "preliminary 30-minute sums over the billing period, missing slots, flags (docs/reconciliation.md)",
    "usage_gaps": "欠測 / slots expected (48) against received per point, date and data class",
    "contract_demand_check": "契約電力検算 / contract kW recomputed from 30-minute data against form 2",
}

# id → (column, English, 日本語)
FLAGS: dict[str, tuple[str, str, str]] = {
    "RC01": (
        "rc01_monthly_vs_confirmed",
        "monthly total ≠ sum of confirmed 30-minute values",
        "月間確定値と30分確定値合計の差異",
    ),
    "RC02": (
        "rc02_monthly_vs_preliminary",
        "monthly total ≠ sum of preliminary 30-minute values",
        "月間確定値と30分速報値合計の差異",
    ),
    "RC03": (
        "rc03_missing_confirmed_slots",
        "confirmed 30-minute values missing in the period",
        "30分確定値の欠測",
    ),
    "RC04": (
        "rc04_missing_preliminary_slots",
        "preliminary 30-minute values missing in the period",
        "30分速報値の欠測",
    ),
    "RC05": (
        "rc05_monthly_not_provided",
        "monthly usage not provided (提供可否 '1' or no value)",
        "月間使用量の提供なし",
    ),
    "RC06": (
        "rc06_prorated_period",
        "period differs from the month by more than 5 days (日割)",
        "算定期間が5日超ずれ (日割対象)",
    ),
    "RC07": (
        "rc07_max_demand_differs",
        "TSO maximum demand ≠ recomputed (kWh × 2)",
        "最大需要電力の差異",
    ),
    "GP01": (
        "partial_day",
        "some slots of the day missing",
        "一部コマ欠測",
    ),
    "GP02": (
        "missing_in_this_class",
        "day present in the other data class only",
        "速報・確定の片方のみ受信",
    ),
    "GP03": (
        "missing_in_both",
        "day of a billing period missing in both data classes",
        "速報・確定とも欠測",
    ),
    "CD01": (
        "cd01_form_inconsistent",
        "Form 2 contract kW ≠ max of its own look-back months",
        "契約電力と内訳最大値の不一致",
    ),
    "CD02": (
        "cd02_recomputed_differs",
        "contract kW ≠ 12-month max recomputed from 30-minute data",
        "30分値からの再計算と不一致",
    ),
    "CD03": (
        "cd03_lookback_month_differs",
        "a look-back month's max demand ≠ recomputed",
        "実績月の最大需要電力の差異",
    ),
    "CD04": (
        "cd04_contract_kw_varies",
        "contract kW differs between rows of one point",
        "同一地点で契約電力が不一致",
    ),
}


def _tolerance_literal(tolerance_kwh: Decimal | str) -> str:
    try:
        tolerance = Decimal(str(tolerance_kwh))
    except InvalidOperation:
        raise ValueError(f"tolerance_kwh {tolerance_kwh!r} is not a decimal number") from None
    if not tolerance.is_finite() or tolerance < 0:
        raise ValueError(f"tolerance_kwh must be a non-negative decimal, got {tolerance_kwh!r}")
    return f"CAST('{tolerance}' AS DECIMAL(18, 6))"


def intervals_sql() -> str:
    """One billable value per point × date × slot × data class: ``interval_usage`` has one row for each
    (a 部分 '2' record's row where a point has one, it holds both values)."""
    return """
SELECT
    supply_point_id, area_code, voltage, usage_date, slot, data_class, split_code,
    CAST(billable_kwh AS DECIMAL(18, 6)) AS kwh, availability_code
FROM interval_usage
"""


def reconciliation_measured_sql(periods: str = BILLING_PERIODS_VIEW, days: tuple[date, date] | None = None) -> str:
    """Per point × month: the monthly total and the 30-minute sums, slot counts and maximum of its billing
    period, before any tolerance (the heavy part of ``reconciliation_monthly``).

    ``periods`` is the billing-period relation to measure (all of them by default); ``days`` bounds the
    30-minute rows read to the days those periods cover, so the day files outside are never opened.
    """
    slots = rules.SLOTS_PER_DAY
    within = f"WHERE usage_date BETWEEN DATE '{days[0]}' AND DATE '{days[1]}'" if days else ""
    return f"""
WITH daily AS (
    SELECT supply_point_id, usage_date, data_class, count(kwh) AS slots, sum(kwh) AS kwh, max(kwh) AS max_kwh,
           count(*) FILTER (WHERE availability_code = '1') AS not_provided
    FROM reconcile_intervals {within}
    GROUP BY ALL
), per_period AS (
    SELECT
        p.supply_point_id,
        p.target_month,
        sum(d.kwh) FILTER (WHERE d.data_class = 'confirmed') AS confirmed_interval_kwh,
        sum(d.kwh) FILTER (WHERE d.data_class = 'preliminary') AS preliminary_interval_kwh,
        coalesce(sum(d.slots) FILTER (WHERE d.data_class = 'confirmed'), 0) AS confirmed_slots,
        coalesce(sum(d.slots) FILTER (WHERE d.data_class = 'preliminary'), 0) AS preliminary_slots,
        coalesce(sum(d.not_provided) FILTER (WHERE d.data_class = 'confirmed'), 0) AS not_provided_slots,
        coalesce(sum(d.not_provided) FILTER (WHERE d.data_class = 'preliminary'), 0) AS not_provided_preliminary_slots,
        count(*) FILTER (WHERE d.data_class = 'confirmed' AND d.slots = {slots}) AS confirmed_full_days,
        count(*) FILTER (WHERE d.data_class = 'preliminary' AND d.slots = {slots}) AS preliminary_full_days,
        max(d.max_kwh) FILTER (WHERE d.data_class = 'confirmed') * {rules.KW_PER_SLOT_KWH} AS recomputed_max_kw
    FROM {periods} p
    LEFT JOIN daily d
        ON d.supply_point_id = p.supply_point_id AND d.usage_date BETWEEN p.period_start AND p.period_end
    GROUP BY ALL
)
SELECT
    p.supply_point_id,
    p.area_code,
    p.voltage,
    p.target_month,
    p.period_start,
    p.period_end,
    CAST(p.period_end - p.period_start + 1 AS INTEGER) AS period_days,
    p.meter_reading_date,
    p.split_code,
    p.availability_code,
    p.monthly_kwh,
    p.monthly_kwh_whole,
    CAST(s.confirmed_interval_kwh AS DECIMAL(18, 6)) AS confirmed_interval_kwh,
    CAST(s.preliminary_interval_kwh AS DECIMAL(18, 6)) AS preliminary_interval_kwh,
    CAST(p.monthly_kwh - s.confirmed_interval_kwh AS DECIMAL(18, 6)) AS diff_confirmed_kwh,
    -- 30分電力量 carries whole-point (全量) values, so they are compared with the monthly 全量 total
    -- (equal to the billable total unless split_code = '2').
    CAST(p.monthly_kwh_whole - s.preliminary_interval_kwh AS DECIMAL(18, 6)) AS diff_preliminary_kwh,
    CAST((p.period_end - p.period_start + 1) * {slots} AS INTEGER) AS expected_slots,
    CAST(s.confirmed_slots AS INTEGER) AS confirmed_slots,
    CAST(s.preliminary_slots AS INTEGER) AS preliminary_slots,
    CAST((p.period_end - p.period_start + 1) * {slots} - s.confirmed_slots AS INTEGER) AS missing_slots,
    CAST((p.period_end - p.period_start + 1) * {slots} - s.preliminary_slots AS INTEGER)
        AS missing_preliminary_slots,
    -- 提供可否 '1': the TSO said "not provided"; counted in missing_* and also apart here
    CAST(s.not_provided_slots AS INTEGER) AS not_provided_slots,
    CAST(s.not_provided_preliminary_slots AS INTEGER) AS not_provided_preliminary_slots,
    CAST((p.period_end - p.period_start + 1) - s.confirmed_full_days AS INTEGER) AS missing_days,
    CAST((p.period_end - p.period_start + 1) - s.preliminary_full_days AS INTEGER) AS missing_preliminary_days,
    CAST(p.max_demand_kw AS DECIMAL(18, 6)) AS tso_max_demand_kw,
    CAST(s.recomputed_max_kw AS DECIMAL(18, 6)) AS recomputed_max_demand_kw
FROM {periods} p
JOIN per_period s USING (supply_point_id, target_month)
"""


def reconciliation_monthly_sql(tolerance_kwh: Decimal | str, measured: str | None = None) -> str:
    """Per point × month: monthly total vs confirmed and preliminary 30-minute sums over the billing period,
    flagged against the tolerance. ``measured`` is a relation of :func:`reconciliation_measured_sql` rows
    (a stored table in the catalog); computed from the 30-minute rows when not given."""
    tol = _tolerance_literal(tolerance_kwh)
    return f"""
WITH measured AS (SELECT * FROM {measured or f"({reconciliation_measured_sql()})"}), flagged AS (
    SELECT
        *,
        {tol} AS tolerance_kwh,
        coalesce(abs(diff_confirmed_kwh) > {tol}, false) AS rc01_monthly_vs_confirmed,
        coalesce(abs(diff_preliminary_kwh) > {tol}, false) AS rc02_monthly_vs_preliminary,
        missing_slots > 0 AS rc03_missing_confirmed_slots,
        missing_preliminary_slots > 0 AS rc04_missing_preliminary_slots,
        coalesce(availability_code = '1', false) OR monthly_kwh IS NULL AS rc05_monthly_not_provided,
        abs(period_days - day(last_day(target_month))) > {rules.PRORATE_TOLERANCE_DAYS} AS rc06_prorated_period,
        coalesce(round(tso_max_demand_kw) <> round(recomputed_max_demand_kw), false) AS rc07_max_demand_differs
    FROM measured
)
SELECT
    *,
    rc01_monthly_vs_confirmed OR rc02_monthly_vs_preliminary AS exceeds_tolerance,
    concat_ws(
        ',',
        CASE WHEN rc01_monthly_vs_confirmed THEN 'RC01' END,
        CASE WHEN rc02_monthly_vs_preliminary THEN 'RC02' END,
        CASE WHEN rc03_missing_confirmed_slots THEN 'RC03' END,
        CASE WHEN rc04_missing_preliminary_slots THEN 'RC04' END,
        CASE WHEN rc05_monthly_not_provided THEN 'RC05' END,
        CASE WHEN rc06_prorated_period THEN 'RC06' END,
        CASE WHEN rc07_max_demand_differs THEN 'RC07' END
    ) AS flags
FROM flagged
"""


def usage_gaps_sql() -> str:
    """Slots expected (48) vs received per point × date × data class, for the days where some are missing.

    Expected days: preliminary values on every day the point appears in either class or inside one of its
    billing periods; confirmed values on the days the point has confirmed data or inside a billing period.
    """
    slots = rules.SLOTS_PER_DAY
    return f"""
WITH daily AS (
    SELECT supply_point_id, usage_date, data_class, any_value(area_code) AS area_code, count(kwh) AS received
    FROM reconcile_intervals
    GROUP BY supply_point_id, usage_date, data_class
), period_days AS (
    SELECT supply_point_id, area_code, CAST(day AS DATE) AS usage_date
    FROM (
        SELECT
            supply_point_id, area_code,
            unnest(generate_series(CAST(period_start AS TIMESTAMP), CAST(period_end AS TIMESTAMP), INTERVAL 1 DAY))
                AS day
        FROM {BILLING_PERIODS_VIEW}
        WHERE period_end >= period_start
    )
), expected AS (
    SELECT supply_point_id, usage_date, 'preliminary' AS data_class FROM daily
    UNION
    SELECT supply_point_id, usage_date, 'preliminary' FROM period_days
    UNION
    SELECT supply_point_id, usage_date, 'confirmed' FROM daily WHERE data_class = 'confirmed'
    UNION
    SELECT supply_point_id, usage_date, 'confirmed' FROM period_days
), areas AS (
    SELECT supply_point_id, any_value(area_code) AS area_code
    FROM (SELECT supply_point_id, area_code FROM daily UNION ALL SELECT supply_point_id, area_code FROM period_days)
    GROUP BY supply_point_id
)
SELECT
    e.supply_point_id,
    a.area_code,
    e.usage_date,
    e.data_class,
    {slots} AS expected_slots,
    CAST(coalesce(d.received, 0) AS INTEGER) AS received_slots,
    CAST({slots} - coalesce(d.received, 0) AS INTEGER) AS missing_slots,
    CAST(coalesce(o.received, 0) AS INTEGER) AS other_class_slots,
    CASE
        WHEN coalesce(d.received, 0) > 0 THEN 'GP01'
        WHEN coalesce(o.received, 0) > 0 THEN 'GP02'
        ELSE 'GP03'
    END AS gap_id,
    CASE
        WHEN coalesce(d.received, 0) > 0 THEN 'partial_day'
        WHEN coalesce(o.received, 0) > 0 THEN 'missing_in_this_class'
        ELSE 'missing_in_both'
    END AS gap_kind
FROM expected e
JOIN areas a USING (supply_point_id)
LEFT JOIN daily d USING (supply_point_id, usage_date, data_class)
LEFT JOIN daily o
    ON o.supply_point_id = e.supply_point_id AND o.usage_date = e.usage_date AND o.data_class <> e.data_class
WHERE coalesce(d.received, 0) < {slots}
"""


def monthly_max_demand_sql() -> str:
    """Recomputed maximum demand (最大需要電力) per point and calendar month: max confirmed kWh × 2 (§5).

    Assumed: look-back months of Form 2 are calendar months of the 30-minute data.
    """
    return f"""
SELECT
    supply_point_id,
    CAST(date_trunc('month', usage_date) AS DATE) AS demand_month,
    CAST(max(kwh) * {rules.KW_PER_SLOT_KWH} AS DECIMAL(18, 6)) AS max_demand_kw,
    count(DISTINCT usage_date) AS days_with_data
FROM reconcile_intervals
WHERE data_class = 'confirmed'
GROUP BY ALL
"""


def contract_demand_check_sql() -> str:
    """実量制 contract kW (契約電力) from Form 2 vs max(this month, previous 11) recomputed from 30-minute data."""
    months = rules.CONTRACT_KW_LOOKBACK_MONTHS
    return f"""
WITH form AS (
    SELECT
        supply_point_id, billing_month, lookback_month, area_code, contract_kw,
        coalesce(corrected_max_demand_kw, max_demand_kw) AS tso_demand_kw, determination_kind
    FROM contract_demand_breakdown
), lookback AS (
    SELECT
        f.supply_point_id, f.billing_month,
        count(*) FILTER (WHERE round(f.tso_demand_kw) <> round(m.max_demand_kw)) AS lookback_months_differing
    FROM form f
    LEFT JOIN reconcile_monthly_max_demand m
        ON m.supply_point_id = f.supply_point_id AND m.demand_month = f.lookback_month
    GROUP BY ALL
), per_point AS (
    SELECT
        supply_point_id,
        billing_month,
        any_value(area_code) AS area_code,
        any_value(determination_kind) AS determination_kind,
        CAST(max(contract_kw) AS DECIMAL(18, 6)) AS tso_contract_kw,
        CAST(min(contract_kw) AS DECIMAL(18, 6)) AS tso_min_contract_kw,
        CAST(max(tso_demand_kw) AS DECIMAL(18, 6)) AS tso_lookback_max_kw,
        count(*) AS lookback_rows
    FROM form
    GROUP BY supply_point_id, billing_month
), recomputed AS (
    SELECT
        p.supply_point_id, p.billing_month,
        CAST(max(m.max_demand_kw) AS DECIMAL(18, 6)) AS recomputed_max_kw,
        count(m.demand_month) AS recomputed_months
    FROM per_point p
    LEFT JOIN reconcile_monthly_max_demand m
        ON m.supply_point_id = p.supply_point_id
        AND m.demand_month BETWEEN CAST(p.billing_month - INTERVAL {months} MONTH AS DATE) AND p.billing_month
    GROUP BY ALL
), flagged AS (
    SELECT
        p.supply_point_id,
        p.area_code,
        p.billing_month,
        p.determination_kind,
        p.tso_contract_kw,
        p.tso_lookback_max_kw,
        CAST(round(r.recomputed_max_kw) AS DECIMAL(18, 0)) AS recomputed_contract_kw,
        CAST(r.recomputed_months AS INTEGER) AS recomputed_months,
        CAST(p.lookback_rows AS INTEGER) AS lookback_rows,
        CAST(l.lookback_months_differing AS INTEGER) AS lookback_months_differing,
        coalesce(p.determination_kind, 'actual') = 'actual' AS is_actual_demand,
        coalesce(p.determination_kind, 'actual') = 'actual'
            AND round(p.tso_contract_kw) <> round(p.tso_lookback_max_kw) AS cd01_form_inconsistent,
        coalesce(
            coalesce(p.determination_kind, 'actual') = 'actual' AND (
                round(r.recomputed_max_kw) > round(p.tso_contract_kw)
                OR (r.recomputed_months = {months + 1} AND round(r.recomputed_max_kw) <> round(p.tso_contract_kw))
            ),
            false
        ) AS cd02_recomputed_differs,
        l.lookback_months_differing > 0 AS cd03_lookback_month_differs,
        p.tso_contract_kw <> p.tso_min_contract_kw AS cd04_contract_kw_varies
    FROM per_point p
    JOIN recomputed r USING (supply_point_id, billing_month)
    JOIN lookback l USING (supply_point_id, billing_month)
)
SELECT
    *,
    concat_ws(
        ',',
        CASE WHEN cd01_form_inconsistent THEN 'CD01' END,
        CASE WHEN cd02_recomputed_differs THEN 'CD02' END,
        CASE WHEN cd03_lookback_month_differs THEN 'CD03' END,
        CASE WHEN cd04_contract_kw_varies THEN 'CD04' END
    ) AS flags
FROM flagged
"""


def create_reconciliation_views(
    con: duckdb.DuckDBPyConnection,
    tolerance_kwh: Decimal = DEFAULT_TOLERANCE_KWH,
    temporary: bool = False,
    reuse: CatalogBuild | None = None,
) -> None:
    """Create (or replace) the reconciliation views on a connection where the base views exist.

    ``tolerance_kwh`` (Decimal, from ``[reconcile] tolerance_kwh``) is the kWh difference allowed before
    RC01/RC02 flag a point. ``temporary`` creates TEMP views (for read-only warehouse connections).
    With ``reuse`` (a catalog being built) the measured sums of ``reconciliation_monthly`` are stored in the
    catalog as a table (:func:`store_measured`), so the view reads them instead of every 30-minute value.
    """
    kind = "TEMP VIEW" if temporary else "VIEW"
    con.execute(f"CREATE OR REPLACE {kind} reconcile_intervals AS {intervals_sql()}")
    con.execute(f"CREATE OR REPLACE {kind} {BILLING_PERIODS_VIEW} AS {billing_periods_sql()}")
    measured = store_measured(con, reuse) if reuse is not None else None
    views = [
        ("reconciliation_monthly", reconciliation_monthly_sql(tolerance_kwh, measured)),
        ("usage_gaps", usage_gaps_sql()),
        ("reconcile_monthly_max_demand", monthly_max_demand_sql()),
        ("contract_demand_check", contract_demand_check_sql()),
    ]
    for name, sql in views:
        con.execute(f"CREATE OR REPLACE {kind} {name} AS {sql}")


MEASURED_TABLE = "reconcile_measured_v1"
"""The stored measured sums (name versioned: a catalog whose table has another version is not reused)."""


def months_of_records(reuse: CatalogBuild) -> set[tuple[str, date]]:
    """(area, target month) whose billing periods a rewritten monthly partition may change: its own month,
    and the next, whose period starts at this month's meter reading."""
    return {(area, add_months(month, k)) for area, month in reuse.months for k in (0, 1)}


def _stale_months(con: duckdb.DuckDBPyConnection, reuse: CatalogBuild) -> None:
    """TEMP TABLE ``stale_months``: the (area, target month) to measure again, those of the billing periods
    that hold a rewritten day, and :func:`months_of_records`."""
    con.execute("CREATE TEMP TABLE touched_days (area_code VARCHAR, usage_date DATE)")
    con.execute("CREATE TEMP TABLE stale_months (area_code VARCHAR, target_month DATE)")
    if reuse.days:
        con.executemany("INSERT INTO touched_days VALUES (?, ?)", sorted(reuse.days))
        con.execute(
            f"""INSERT INTO stale_months SELECT DISTINCT p.area_code, p.target_month
FROM {BILLING_PERIODS_VIEW} p JOIN touched_days t
  ON p.area_code = t.area_code AND t.usage_date BETWEEN p.period_start AND p.period_end"""
        )
    if months := months_of_records(reuse):
        con.executemany("INSERT INTO stale_months VALUES (?, ?)", sorted(months))


def store_measured(con: duckdb.DuckDBPyConnection, reuse: CatalogBuild) -> str:
    """``MEASURED_TABLE`` in the catalog being built: the previous catalog's rows for the months nothing
    touched, measured afresh for the others (all of them without a usable previous catalog). Returns its name.

    A night therefore measures the billing months its files reach into, not the whole warehouse.
    """
    previous = reuse.previous
    if previous is None or not _has_measured(con, previous):
        con.execute(f"CREATE TABLE {MEASURED_TABLE} AS {reconciliation_measured_sql()}")
        return MEASURED_TABLE
    _stale_months(con, reuse)
    periods = f"(SELECT * FROM {BILLING_PERIODS_VIEW} SEMI JOIN stale_months USING (area_code, target_month))"
    [(first, last)] = con.execute(f"SELECT min(period_start), max(period_end) FROM {periods}").fetchall()
    fresh = ""
    if first is not None:
        fresh = f" UNION ALL BY NAME SELECT * FROM ({reconciliation_measured_sql(periods, (first, last))})"
    con.execute(f"ATTACH '{_sql_text(previous)}' AS previous_catalog (READ_ONLY)")
    try:
        con.execute(
            f"CREATE TABLE {MEASURED_TABLE} AS SELECT * FROM previous_catalog.{INTERNAL}.{MEASURED_TABLE} "
            f"ANTI JOIN stale_months USING (area_code, target_month){fresh}"
        )
    finally:
        con.execute("DETACH previous_catalog")
    return MEASURED_TABLE


def _has_measured(con: duckdb.DuckDBPyConnection, catalog: Path) -> bool:
    if not catalog.exists():
        return False
    con.execute(f"ATTACH '{_sql_text(catalog)}' AS previous_catalog (READ_ONLY)")
    try:
        return bool(
            con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'previous_catalog' "
                "AND schema_name = ? AND table_name = ?",
                [INTERNAL, MEASURED_TABLE],
            ).fetchall()[0][0]
        )
    finally:
        con.execute("DETACH previous_catalog")


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def catalog_views(tolerance_kwh: Decimal | None = None) -> ViewBuilder:
    """The reconciliation and billing views as a builder for :func:`warehouse.catalog.build_catalog` (照合ビュー).

    ``tolerance_kwh`` is ``[reconcile] tolerance_kwh``; ``None`` takes :data:`DEFAULT_TOLERANCE_KWH`.
    """
    tolerance = tolerance_kwh if tolerance_kwh is not None else DEFAULT_TOLERANCE_KWH

    def build(con: duckdb.DuckDBPyConnection, reuse: CatalogBuild) -> list[str]:
        create_reconciliation_views(con, tolerance, reuse=reuse)
        for view, comment in RECONCILIATION_COMMENTS.items():
            escaped = comment.replace("'", "''")
            con.execute(f"COMMENT ON VIEW {view} IS '{escaped}'")
        names = [*RECONCILIATION_COMMENTS, *create_billing_views(con)]
        comment_billing_columns(con, names)
        return names

    return build
