"""``takuso pull``: download new files from the configured TSOs into the raw landing zone.

Exit status (warehouse-contract.md): 0 all good; 1 some TSO failed (the others still landed their
files); 2 configuration or usage error.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from core.areas import AREAS
from core.config import ConfigError, PullSettings, load_config, pick_warehouse
from tso.client import TsoResult, pull_all

log = logging.getLogger(__name__)

EXIT_OK, EXIT_TSO_FAILED, EXIT_CONFIG = 0, 1, 2


def run_pull(
    config: Path | None = None,
    areas: list[str] | None = None,
    warehouse: Path | None = None,
    *,
    console: Console | None = None,
) -> int:
    """Load the configuration, pull the selected TSOs, print a summary table; return the exit status."""
    console = console or Console(stderr=True)
    try:
        cfg = load_config(config)
        unknown = [a for a in areas or [] if a not in AREAS]
        if unknown:
            raise ConfigError(f"--area {', '.join(unknown)}: unknown area code; expected one of {', '.join(AREAS)}")
        settings = cfg.pull_settings(areas or None)
    except ConfigError as exc:
        console.print(f"[red]configuration error:[/red] {escape(str(exc))}", highlight=False)
        return EXIT_CONFIG
    if not settings.tsos:
        console.print(
            f"[red]configuration error:[/red] {escape(str(cfg.source))}: no enabled " + escape('[tso."NN"] table'),
            highlight=False,
        )
        return EXIT_CONFIG
    root = pick_warehouse(warehouse, cfg)
    results = _pull_with_progress(settings, root, console)
    console.print(summary_table(results, root))
    failed = [r for r in results if not r.ok]
    for result in failed:
        for failure in result.failures:
            where = f"{result.area_code} {failure.name}" if failure.name else result.area_code
            console.print(f"[red]failed[/red] {escape(where)}: {escape(failure.message)}", highlight=False)
    return EXIT_TSO_FAILED if failed else EXIT_OK


def _pull_with_progress(settings: PullSettings, root: Path, console: Console) -> list[TsoResult]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        areas = [tso.area_code for tso in settings.tsos]
        tasks: dict[str, TaskID] = {
            code: progress.add_task(f"{code} {AREAS[code].name_en}", total=None, note="connecting") for code in areas
        }

        def update(area_code: str, done: int, total: int, message: str) -> None:
            progress.update(tasks[area_code], completed=done, total=total or None, note=message)

        results = pull_all(settings, root, progress=update)
        for result in results:
            note = "ok" if result.ok else f"[red]{len(result.failures)} failure(s)[/red]"
            total = progress.tasks[tasks[result.area_code]].total or 0
            progress.update(tasks[result.area_code], total=total, completed=total, note=note)
    return results


def summary_table(results: list[TsoResult], root: Path) -> Table:
    """One row per TSO: files listed, new files, bytes, already present, skipped names, failures."""
    table = Table(title=f"pull → {escape(str(root / 'raw'))}")
    for header in ("area", "account", "listed", "new", "bytes", "present", "skipped", "failed"):
        table.add_column(header, justify="left" if header in ("area", "account") else "right")
    for r in results:
        table.add_row(
            f"{r.area_code} {AREAS[r.area_code].name_ja}",
            escape(r.account),
            str(r.listed),
            str(len(r.new_files)),
            f"{r.bytes:,}",
            str(r.already_present),
            str(len(r.skipped) + r.filtered),
            f"[red]{len(r.failures)}[/red]" if r.failures else "0",
        )
    return table
