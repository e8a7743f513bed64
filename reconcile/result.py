"""The month's reconciliation result (照合結果): every table a report or a command needs, built once.

``build_reconciliation`` creates the check views on the connection, reads the month's rows and computes
the wheeling charges; ``ReconciliationResult`` holds them as pyarrow Tables (exact decimals).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from reconcile.checks import create_reconciliation_views
from reconcile.compute import compute_wheeling_charges
from reconcile.differences import month_differences


def arrow(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> pa.Table:
    """Run a query and return a pyarrow Table (DECIMAL stays decimal128)."""
    rel = con.sql(sql, params=params or None)
    to_arrow = getattr(rel, "to_arrow_table", None) or rel.arrow  # DuckDB ≥ 1.4 / older
    return to_arrow()


def month_end(month: date) -> date:
    """Last day of ``month``."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@dataclass(frozen=True)
class ReconciliationResult:
    """Everything found for one billing month (対象年月)."""

    month: date
    tolerance_kwh: Decimal
    monthly: pa.Table  # reconciliation_monthly rows of the month
    gaps: pa.Table  # usage_gaps rows inside the month's window
    demand: pa.Table  # contract_demand_check rows of the billing month
    charges: pa.Table  # wheeling_charges rows (compute_wheeling_charges)
    daily: pa.Table  # area_code, usage_date, data_class, kwh: daily totals for the charts
    load_curve: pa.Table  # area_code, slot, kwh: mean confirmed kWh per slot and point-day
    window_start: date
    window_end: date
    differences: pa.Table | None = None  # charge_differences of the month; None when no invoice is loaded

    @property
    def discrepancy_count(self) -> int:
        """Supply points whose kWh difference exceeds the tolerance (RC01 or RC02)."""
        return sum(1 for v in self.monthly.column("exceeds_tolerance").to_pylist() if v)

    @property
    def exceeds_tolerance(self) -> bool:
        """True when any supply point's difference exceeds the tolerance."""
        return self.discrepancy_count > 0

    def largest_discrepancies(self, limit: int = 10) -> list[dict[str, Any]]:
        """Points ordered by the larger of |monthly − confirmed| and |monthly − preliminary|, flagged first."""
        rows = [r for r in self.monthly.to_pylist() if r["flags"]]

        def size(r: dict[str, Any]) -> Decimal:
            diffs = [abs(d) for d in (r["diff_confirmed_kwh"], r["diff_preliminary_kwh"]) if d is not None]
            return max(diffs, default=Decimal(0))

        rows.sort(key=lambda r: (not r["exceeds_tolerance"], -size(r), r["supply_point_id"]))
        for r in rows:
            r["largest_diff_kwh"] = size(r)
        return rows[:limit]

    def by_area(self) -> list[dict[str, Any]]:
        """Per area: points, kWh, flagged points, missing slots, charges computed and their total (yen)."""
        out: dict[str, dict[str, Any]] = {}
        for r in self.monthly.to_pylist():
            a = out.setdefault(r["area_code"], _area_row(r["area_code"]))
            a["points"] += 1
            a["monthly_kwh"] += r["monthly_kwh"] or Decimal(0)
            a["over_tolerance"] += bool(r["exceeds_tolerance"])
            a["missing_slots"] += r["missing_slots"] or 0
        for r in self.charges.to_pylist():
            a = out.setdefault(r["area_code"], _area_row(r["area_code"]))
            if r["status"] == "computed":
                a["charges_computed"] += 1
                a["total_yen"] += r["total_yen"]
            else:
                a["charges_not_computed"] += 1
        for r in self.differences.to_pylist() if self.differences is not None else []:
            a = out.setdefault(r["area_code"], _area_row(r["area_code"]))
            a["invoiced_yen"] += r["invoiced_total_yen"] or Decimal(0)
            a["invoice_lines"] += r["invoiced_total_yen"] is not None
            a["lines_differing"] += r["status"] != "match"
        for a in out.values():
            a["invoiced_minus_recomputed"] = a["invoiced_yen"] - a["total_yen"] if a["invoice_lines"] else None
        return [out[k] for k in sorted(out)]

    def differing_lines(self) -> list[dict[str, Any]]:
        """Invoice lines that differ or have one side only, largest |difference| first (one-sided lines last)."""
        if self.differences is None:
            return []
        rows = [r for r in self.differences.to_pylist() if r["status"] != "match"]
        rows.sort(key=lambda r: (r["difference_yen"] is None, -abs(r["difference_yen"] or 0), r["supply_point_id"]))
        return rows

    def not_computed_by_reason(self) -> list[dict[str, Any]]:
        """Lines not computed, grouped by their reason (largest group first), with the points of each."""
        column = "reason" if "reason" in self.charges.column_names else "note"
        groups: dict[str, list[str]] = {}
        for r in self.charges.to_pylist():
            if r["status"] != "computed":
                groups.setdefault(r[column] or "", []).append(r["supply_point_id"])
        return [
            {"reason": reason, "count": len(points), "points": points}
            for reason, points in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ]

    def findings(self) -> pa.Table:
        """One row per supply point: reconciliation figures and flags, contract kW check and the charge."""
        con = duckdb.connect()
        con.register("m", self.monthly)
        con.register("d", self.demand)
        con.register("c", self.charges)
        con.register("x", self.differences if self.differences is not None else _NO_DIFFERENCES)
        return arrow(
            con,
            """
            SELECT
                coalesce(m.supply_point_id, d.supply_point_id, c.supply_point_id) AS supply_point_id,
                coalesce(m.area_code, d.area_code, c.area_code) AS area_code,
                coalesce(m.target_month, d.billing_month, c.target_month) AS target_month,
                coalesce(m.period_start, c.period_start) AS period_start,
                coalesce(m.period_end, c.period_end) AS period_end,
                m.split_code, m.monthly_kwh, m.monthly_kwh_whole, m.confirmed_interval_kwh,
                m.preliminary_interval_kwh, m.diff_confirmed_kwh, m.diff_preliminary_kwh, m.missing_slots,
                m.missing_preliminary_slots, m.not_provided_slots, m.not_provided_preliminary_slots,
                m.missing_days, m.exceeds_tolerance, m.flags,
                d.tso_contract_kw, d.recomputed_contract_kw, d.flags AS demand_flags,
                c.status AS charge_status, c.rate_status, c.tariff_id, c.service_menu, c.contract_quantity,
                c.billed_kwh,
                c.basic_charge, c.power_factor_adjustment, c.energy_charge, c.contract_excess_charge,
                c.curtailment_discount, c.total_yen, c.* EXCLUDE (
                    supply_point_id, area_code, voltage, target_month, period_start, period_end, status, tariff_id,
                    service_menu, contract_quantity, billed_kwh, basic_charge, power_factor_adjustment, energy_charge,
                    contract_excess_charge, curtailment_discount, total_yen, rate_status
                ),
                x.invoiced_total_yen, x.difference_yen, x.status AS invoice_status, x.cause AS invoice_cause
            FROM m
            FULL OUTER JOIN d ON d.supply_point_id = m.supply_point_id
            FULL OUTER JOIN c ON c.supply_point_id = coalesce(m.supply_point_id, d.supply_point_id)
            LEFT JOIN x ON x.supply_point_id = coalesce(m.supply_point_id, d.supply_point_id, c.supply_point_id)
            ORDER BY 2, 1
            """,
        )


def _area_row(area_code: str) -> dict[str, Any]:
    return {
        "area_code": area_code,
        "points": 0,
        "monthly_kwh": Decimal(0),
        "over_tolerance": 0,
        "missing_slots": 0,
        "charges_computed": 0,
        "charges_not_computed": 0,
        "total_yen": Decimal(0),
        "invoice_lines": 0,
        "invoiced_yen": Decimal(0),
        "lines_differing": 0,
    }


_NO_DIFFERENCES = pa.table(
    {
        "supply_point_id": pa.array([], pa.string()),
        "invoiced_total_yen": pa.array([], pa.decimal128(18, 0)),
        "difference_yen": pa.array([], pa.decimal128(18, 0)),
        "status": pa.array([], pa.string()),
        "cause": pa.array([], pa.string()),
    }
)


def build_reconciliation(
    con: duckdb.DuckDBPyConnection,
    month: date,
    tolerance_kwh: Decimal,
    tariff_path: Path | None = None,
    temporary: bool = True,
) -> ReconciliationResult:
    """Create the check views (TEMP by default), read the month and compute its wheeling charges."""
    month = month.replace(day=1)
    create_reconciliation_views(con, tolerance_kwh, temporary=temporary)
    monthly = arrow(
        con,
        "SELECT * FROM reconciliation_monthly WHERE target_month = ? ORDER BY area_code, supply_point_id",
        [month],
    )
    starts = [d for d in monthly.column("period_start").to_pylist() if d is not None]
    ends = [d for d in monthly.column("period_end").to_pylist() if d is not None]
    lo, hi = min([month, *starts]), max([month_end(month), *ends])
    gaps = arrow(
        con,
        "SELECT * FROM usage_gaps WHERE usage_date BETWEEN ? AND ? ORDER BY supply_point_id, usage_date, data_class",
        [lo, hi],
    )
    demand = arrow(con, "SELECT * FROM contract_demand_check WHERE billing_month = ? ORDER BY supply_point_id", [month])
    daily = arrow(
        con,
        """SELECT area_code, usage_date, data_class, sum(kwh) AS kwh FROM reconcile_intervals
           WHERE usage_date BETWEEN ? AND ? GROUP BY ALL ORDER BY ALL""",
        [lo, hi],
    )
    load_curve = arrow(
        con,
        """SELECT area_code, slot, CAST(avg(kwh) AS DECIMAL(18, 6)) AS kwh FROM reconcile_intervals
           WHERE data_class = 'confirmed' AND usage_date BETWEEN ? AND ? GROUP BY ALL ORDER BY ALL""",
        [lo, hi],
    )
    charges = compute_wheeling_charges(con, month, tariff_path)
    differences = month_differences(con, charges, month)
    return ReconciliationResult(
        month=month,
        tolerance_kwh=Decimal(str(tolerance_kwh)),
        monthly=monthly,
        gaps=gaps,
        demand=demand,
        charges=charges,
        daily=daily,
        load_curve=load_curve,
        window_start=lo,
        window_end=hi,
        differences=differences,
    )
