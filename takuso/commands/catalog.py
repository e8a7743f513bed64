"""``takuso catalog``: rebuild the stored current state and ``takuso.duckdb`` from the history (the store of record)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from core.paths import WarehouseLayout, resolve_warehouse
from reconcile.checks import catalog_views
from warehouse.catalog import build_catalog
from warehouse.current import rebuild_current
from warehouse.lock import WarehouseBusy, writer_lock


def run_catalog(warehouse: Path | None = None, console: Console | None = None) -> int:
    """Rebuild the catalog under the writer lock; 0 on success, 2 when another writer holds the lock."""
    console = console or Console(highlight=False)
    layout = WarehouseLayout(resolve_warehouse(warehouse))
    if not layout.exists:
        console.print(f"[red]no warehouse at {escape(str(layout.root))} (takuso ingest or takuso run makes one)[/red]")
        return 2
    try:
        with writer_lock(layout.lock_file, wait=False):
            rebuild_current(layout)
            path = build_catalog(layout, [catalog_views()])
    except WarehouseBusy as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        return 2
    console.print(f"rebuilt {escape(str(path))}")
    return 0
