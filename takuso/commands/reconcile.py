"""``takuso reconcile --month YYYY-MM [--out FILE]``: reconcile a month and compute its wheeling charges.

Builds ``reconciliation_monthly``, ``usage_gaps`` and ``contract_demand_check`` (as TEMP views, so a
read-only warehouse connection works), computes the ``wheeling_charges`` rows, prints a summary and
writes a report (CSV, Parquet or HTML by the file's ending). Exit 0; 1 when a discrepancy exceeds the
tolerance (RC01 / RC02); 2 on a usage error (bad month, bad tariff file, unknown report format).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.areas import AREAS
from reconcile.checks import DEFAULT_TOLERANCE_KWH
from reconcile.report import FORMATS, write_report
from reconcile.result import ReconciliationResult, build_reconciliation
from reconcile.tariff import TariffError


def parse_month(text: str) -> date:
    """``2024-04`` (or ``2024/04``, ``202404``) → date(2024, 4, 1); ValueError otherwise."""
    digits = text.strip().replace("/", "-")
    try:
        if len(digits) == 6 and digits.isdigit():
            return date(int(digits[:4]), int(digits[4:]), 1)
        year, month = digits.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise ValueError(f"--month {text!r} is not a month; use YYYY-MM, e.g. 2024-04") from None


def print_summary(result: ReconciliationResult, console: Console) -> None:
    """The per-area summary table and the largest discrepancies."""
    table = Table(title=f"takuso reconcile {result.month:%Y-%m} (tolerance ±{result.tolerance_kwh} kWh)")
    for col in ("area", "points", "kWh", "over tolerance", "missing slots", "charges", "not computed", "total yen"):
        table.add_column(col, justify="left" if col == "area" else "right")
    for a in result.by_area():
        area = AREAS.get(a["area_code"])
        table.add_row(
            f"{a['area_code']} {area.name_en if area else ''}",
            str(a["points"]),
            f"{a['monthly_kwh']:,.0f}",
            f"[red]{a['over_tolerance']}[/red]" if a["over_tolerance"] else "0",
            str(a["missing_slots"]),
            str(a["charges_computed"]),
            f"[yellow]{a['charges_not_computed']}[/yellow]" if a["charges_not_computed"] else "0",
            f"{a['total_yen']:,.0f}",
        )
    console.print(table)
    top = [r for r in result.largest_discrepancies(10) if r["exceeds_tolerance"]]
    if top:
        worst = Table(title="largest discrepancies (monthly − Σ 30-minute kWh)")
        worst.add_column("supply point", no_wrap=True, min_width=22)
        for col in ("area", "monthly kWh", "diff confirmed", "diff preliminary", "flags"):
            worst.add_column(col)
        for r in top:
            worst.add_row(
                r["supply_point_id"],
                r["area_code"],
                str(r["monthly_kwh"]),
                str(r["diff_confirmed_kwh"]),
                str(r["diff_preliminary_kwh"]),
                escape(r["flags"] or ""),
            )
        console.print(worst)
    flagged_demand = sum(1 for f in result.demand.column("flags").to_pylist() if f)
    gaps = result.gaps.num_rows
    console.print(
        f"{result.monthly.num_rows} points, {result.discrepancy_count} over tolerance, {gaps} point-days with gaps, "
        f"{flagged_demand} contract-kW findings"
    )


def run_reconcile(
    month: str,
    out: Path | None,
    con_factory: Callable[[], duckdb.DuckDBPyConnection],
    tolerance_kwh: Decimal | str = DEFAULT_TOLERANCE_KWH,
    tariff_path: Path | None = None,
    console: Console | None = None,
    store: Callable[[ReconciliationResult], None] | None = None,
) -> int:
    """Reconcile ``month`` on the connection from ``con_factory``; return 0, 1 (over tolerance) or 2 (usage).

    ``store``, when given, keeps the result in the warehouse (the CLI stores the charges and rebuilds the
    catalog under the writer lock).
    """
    console = console or Console(highlight=False)
    try:
        target = parse_month(month)
        tolerance = Decimal(str(tolerance_kwh))
        if not tolerance.is_finite() or tolerance < 0:
            raise ValueError(f"tolerance_kwh must be a non-negative decimal, got {tolerance_kwh!r}")
    except (ValueError, InvalidOperation) as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    if out is not None and Path(out).suffix.lower() not in FORMATS:
        console.print(f"[red]error:[/red] {escape(str(out))}: unknown report format; use one of {', '.join(FORMATS)}")
        return 2
    con = con_factory()
    try:
        result = build_reconciliation(con, target, tolerance, tariff_path)
    except TariffError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    finally:
        con.close()
    if store is not None:  # keep the charges in the warehouse (view wheeling_charges)
        store(result)
    print_summary(result, console)
    if out is not None:
        console.print(f"report written to {escape(str(write_report(result, Path(out))))}")
    return 1 if result.exceeds_tolerance else 0
