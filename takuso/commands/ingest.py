"""``takuso ingest PATH ...``: validate and load local files, with a progress bar and a final table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.areas import AREAS
from core.config import ConfigError, pick_warehouse
from core.inputs import expand_paths
from core.paths import WarehouseLayout, resolve_warehouse
from takuso.commands.local_config import local_config
from warehouse.lock import WarehouseBusy, writer_lock
from warehouse.runs import FileReport, IngestReport, all_loaded, sources_for

if TYPE_CHECKING:
    import duckdb

    from warehouse.catalog import CatalogBuild


def summary_table(report: IngestReport, title: str = "takuso ingest") -> Table:
    """Per kind: files loaded / skipped / rejected and rows."""
    table = Table(title=title)
    for col in ("kind", "loaded", "skipped", "rejected", "rows"):
        table.add_column(col, justify="right" if col != "kind" else "left")
    kinds = sorted({f.kind or "?" for f in report.files})
    for kind in kinds:
        files = [f for f in report.files if (f.kind or "?") == kind]
        table.add_row(
            escape(kind),
            *(str(sum(1 for f in files if f.status == s)) for s in ("loaded", "skipped", "rejected")),
            f"{sum(f.rows for f in files if f.status == 'loaded'):,}",
        )
    table.add_row(
        "[b]total",
        *(f"[b]{report.count(s)}" for s in ("loaded", "skipped", "rejected")),
        f"[b]{report.rows:,}",
    )
    return table


def run_ingest(
    paths: list[Path],
    warehouse: Path | None = None,
    area: str | None = None,
    account: str = "default",
    workers: int = 0,
    console: Console | None = None,
    wait: bool = True,
    config: Path | None = None,
) -> int:
    """Ingest files; 0 all loaded or skipped, 1 some rejected, 2 usage error.

    ``config`` is ``takuso.toml`` (default ``./takuso.toml`` when present): its ``csv_aliases`` and
    warehouse folder apply.
    """
    console = console or Console(highlight=False)
    try:
        cfg = local_config(config)
    except ConfigError as exc:
        console.print(f"[red]configuration error:[/red] {escape(str(exc))}")
        return 2
    if area is not None and area not in AREAS:
        console.print(f"[red]unknown area {escape(repr(area))}; use 01..10[/red]")
        return 2
    files, missing = expand_paths(paths)
    for m in missing:
        console.print(f"[red]{escape(m)}[/red]")
    if missing or not files:
        if not files and not missing:
            console.print("[red]no .zip, .xml or .csv files found[/red]")
        return 2
    layout = WarehouseLayout(pick_warehouse(warehouse, cfg) if cfg else resolve_warehouse(warehouse))
    aliases = cfg.csv_aliases if cfg else None
    try:
        with writer_lock(layout.lock_file, wait=wait, say=lambda m: console.print(f"[yellow]{escape(m)}[/yellow]")):
            report = _ingest_with_progress(files, layout, area, account, workers, console, aliases)
    except WarehouseBusy as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        return 2
    for f in report.files:
        if f.status == "rejected":
            console.print(
                f"[red]rejected {escape(f.file_name)}[/red] (quarantined):\n{escape(f.message)}", soft_wrap=True
            )
    console.print(summary_table(report))
    if report.seconds:
        console.print(f"[dim]{escape(report.timings())}[/dim]")
    console.print(escape(f"warehouse: {layout.root}  (catalog {layout.duckdb_file.name}, run {report.run_id})"))
    return report.exit_code


def _ingest_with_progress(files, layout, area, account, workers, console, csv_aliases) -> IngestReport:
    sources = sources_for(files, area, account)
    report = all_loaded(sources, layout)  # every file loaded: a hash per file, no more (and no progress bar)
    if report is not None:
        return report
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        auto_refresh=False,  # refreshed once per file (below): no refresh thread needed
    ) as progress:
        task = progress.add_task("ingesting", total=len(files))

        def advance(fr: FileReport) -> None:
            progress.update(task, advance=1, description=escape(f"{fr.status:8} {fr.file_name}"))
            progress.refresh()

        def phase(name: str) -> None:  # after the files: what the run is doing now
            progress.update(task, description=escape(f"writing the {name}"))
            progress.refresh()

        from warehouse.ingest import ingest  # the parsers, Arrow and DuckDB: only for a run that goes on

        return ingest(
            sources,
            layout,
            workers=workers,
            on_file=advance,
            on_phase=phase,
            extra_views=[reconciliation_views],
            csv_aliases=csv_aliases,
        )


def reconciliation_views(con: duckdb.DuckDBPyConnection, reuse: CatalogBuild) -> list[str]:
    """The reconciliation and billing views (照合ビュー) for a catalog rebuild. ``reconcile`` (and pandas with
    it) is imported only when the catalog is rebuilt: a run that finds every file already loaded never is."""
    from reconcile.checks import catalog_views

    return list(catalog_views()(con, reuse))
