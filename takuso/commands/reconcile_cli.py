"""Wire ``takuso reconcile`` to the warehouse: a read-only catalog connection, and storing the charges."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from core.paths import WarehouseLayout, resolve_warehouse
from reconcile.checks import catalog_views
from takuso.commands.reconcile import run_reconcile
from warehouse.catalog import build_catalog, connect
from warehouse.charges import store_charges
from warehouse.lock import WarehouseBusy, writer_lock


def _tolerance(config: Path | None) -> str:
    from core.config import default_config_path, load_config

    path = config or default_config_path()
    if path is None or not Path(path).exists():
        return "0.5"
    return str(load_config(path, check_certificates=False).reconcile.tolerance)


def reconcile_command(
    month: str, out: Path | None, warehouse: Path | None, config: Path | None, tariff: Path | None, store: bool
) -> int:
    console = Console(highlight=False)
    layout = WarehouseLayout(resolve_warehouse(warehouse))
    if not layout.duckdb_file.exists():
        console.print(f"[red]no warehouse at {escape(str(layout.root))} (run takuso ingest or takuso run first)[/red]")
        return 2
    tolerance = _tolerance(config)

    def keep(result) -> None:  # type: ignore[no-untyped-def]
        try:
            with writer_lock(layout.lock_file, say=lambda m: console.print(f"[yellow]{escape(m)}[/yellow]")):
                store_charges(layout, result.month, result.charges)
                build_catalog(layout, [catalog_views(result.tolerance_kwh)])
        except WarehouseBusy as exc:
            console.print(f"[yellow]charges not stored: {escape(str(exc))}[/yellow]")

    return run_reconcile(
        month, out, lambda: connect(layout), tolerance, tariff, console=console, store=keep if store else None
    )
