"""The billing period (料金の算定期間) of each supply point and month, as DuckDB SQL (wheeling-charges.md §10.1).

The one place where the period rule lives; every check and the charge calculation read the view built
from ``billing_periods_sql()``.

Rule (meter-reading date to meter-reading date, 検針期間):

* ``period_end`` = ``meter_reading_date`` − 1 day;
* ``period_start`` = the same point's previous ``meter_reading_date`` when known (the ``monthly_usage``
  row of the month before), else the first day of ``target_month``.
* Assumed: a row without ``meter_reading_date`` ends on the last day of ``target_month``.

The billable monthly kWh is chosen here too (bp-xml.md §7.1): ``monthly_kwh_split`` when ``split_code`` =
'2', otherwise ``monthly_kwh``; a point with both a 全量 ('1') and a 部分 ('2') record uses the '2' record.
"""

from __future__ import annotations

from datetime import date

BILLING_PERIODS_VIEW = "reconcile_billing_periods"


def add_months(month: date, months: int) -> date:
    """The first day of the month ``months`` after (or before, when negative) ``month``'s."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def billing_periods_sql() -> str:
    """SELECT giving one row per supply point × target month with its billing period and billable kWh."""
    return """
WITH chosen AS (
    SELECT *
    FROM monthly_usage
    QUALIFY row_number() OVER (
        PARTITION BY supply_point_id, target_month ORDER BY split_code DESC NULLS LAST
    ) = 1
), ordered AS (
    SELECT
        *,
        lag(meter_reading_date) OVER w AS previous_meter_reading_date,
        lag(target_month) OVER w AS previous_target_month
    FROM chosen
    WINDOW w AS (PARTITION BY supply_point_id ORDER BY target_month)
)
SELECT
    supply_point_id,
    area_code,
    voltage,
    target_month,
    meter_reading_date,
    previous_meter_reading_date,
    split_code,
    availability_code,
    CAST(CASE WHEN split_code = '2' THEN monthly_kwh_split ELSE monthly_kwh END AS DECIMAL(18, 6)) AS monthly_kwh,
    CAST(monthly_kwh AS DECIMAL(18, 6)) AS monthly_kwh_whole,
    power_factor,
    max_demand_kw,
    CAST(
        CASE
            WHEN previous_meter_reading_date IS NOT NULL
                AND previous_target_month = CAST(target_month - INTERVAL 1 MONTH AS DATE)
                AND previous_meter_reading_date <= meter_reading_date - 1
            THEN previous_meter_reading_date
            ELSE target_month
        END AS DATE
    ) AS period_start,
    CAST(
        CASE WHEN meter_reading_date IS NOT NULL THEN meter_reading_date - 1 ELSE last_day(target_month) END AS DATE
    ) AS period_end
FROM ordered
"""
