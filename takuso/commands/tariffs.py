"""``takuso tariffs``: what the tariff tables cover; ``check FILE`` validates a user's file; ``template``
writes a blank rate file per area and voltage for a retailer to fill from its TSO's 料金表.

Exit status: 0 valid (or done); 1 the file has problems (each printed with its line and rule id);
2 usage error (unknown area or voltage, a template for several areas without a folder).
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from reconcile.tariff import AREA_CODES, VOLTAGES, TariffError, TariffTable, load_tariffs
from reconcile.tariff_coverage import coverage, template_csv, uncovered

STATUS_STYLE = {"confirmed": "green", "user": "cyan", "secondary": "yellow", "example": "magenta"}


def _console() -> Console:
    """A console as wide as the table needs when the output is not a terminal (a file or a pipe)."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 200)


def _print_coverage(table: TariffTable, area: str | None, console: Console) -> None:
    grid = Table(title="託送料金表 / tariff coverage (area × voltage × menu × period)")
    for col in ("area", "voltage", "menu", "period", "tariff_id", "status", "from", "usable"):
        grid.add_column(col)
    for s in coverage(table, area):
        style = STATUS_STYLE.get(s.status, "")
        grid.add_row(
            s.area_code,
            s.voltage,
            escape(s.service_menu),
            s.period(),
            escape(s.tariff_id),
            f"[{style}]{s.status}[/{style}]" if style else escape(s.status),
            s.layer,
            "yes" if s.usable == "yes" else f"[red]{escape(s.usable)}[/red]",
        )
    console.print(grid)
    missing = [f"{a} {v}" for a, v in uncovered(table) if area in (None, a)]
    if missing:
        console.print(f"no rates at all: {', '.join(missing)} — add them with `takuso tariffs template`")


def _print_problems(exc: TariffError, console: Console) -> None:
    for problem in exc.problems:
        console.print(f"[red]{escape(problem.render())}[/red]")
    console.print(f"{len(exc.problems)} problem(s); rule ids are listed in docs/reconciliation.md")


def run_tariffs(tariff: Path | None = None, area: str | None = None, console: Console | None = None) -> int:
    """Print every rate set (shipped, and a user's file merged over them) with its status."""
    console = console or _console()
    if area is not None and area not in AREA_CODES:
        console.print(f"[red]unknown area {escape(area)!r}; use 01..10[/red]")
        return 2
    try:
        table = load_tariffs(tariff)
    except TariffError as exc:
        _print_problems(exc, console)
        return 1
    _print_coverage(table, area, console)
    return 0


def run_tariffs_check(path: Path, console: Console | None = None) -> int:
    """Validate a user's tariff file or folder on its own; exit 0 valid, 1 with every problem printed."""
    console = console or _console()
    try:
        table = load_tariffs(path, shipped=None)
    except TariffError as exc:
        _print_problems(exc, console)
        return 1
    sets = coverage(table)
    console.print(
        f"[green]{escape(str(path))}: valid[/green] — {len(sets)} rate set(s), {len(table.user_rows)} row(s), "
        f"{len(table.calendars)} calendar(s); on the days they cover they replace the shipped rates"
    )
    incomplete = [s for s in sets if s.prices_missing]
    for s in incomplete:
        console.print(f"[yellow]{escape(s.tariff_id)}: {s.prices_missing} price(s) still empty[/yellow]")
    return 0


def run_tariffs_template(
    areas: list[str] | None, voltage: str | None, out: Path | None, console: Console | None = None
) -> int:
    """Write blank rate files: to ``out`` (a file for one area and voltage, else a folder), or print one."""
    console = console or _console()
    areas = areas or list(AREA_CODES)
    bad = [a for a in areas if a not in AREA_CODES] + ([voltage] if voltage and voltage not in VOLTAGES else [])
    if bad:
        console.print(
            f"[red]unknown area or voltage: {escape(', '.join(bad))} (areas 01..10, voltage low or high)[/red]"
        )
        return 2
    pairs = [(a, v) for a in areas for v in ([voltage] if voltage else VOLTAGES)]
    table = load_tariffs()
    if len(pairs) == 1 and (out is None or not out.is_dir()):
        text = template_csv(table, *pairs[0])
        if out is None:
            print(text, end="")
        else:
            out.write_text(text, encoding="utf-8")
            console.print(f"wrote {escape(str(out))}")
        return 0
    if out is None:
        console.print("[red]several templates need --out FOLDER[/red]")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    for area, volt in pairs:
        target = out / f"{area}_{volt}.csv"
        target.write_text(template_csv(table, area, volt), encoding="utf-8")
    console.print(f"wrote {len(pairs)} template(s) to {escape(str(out))}")
    return 0
