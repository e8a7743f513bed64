"""``takuso query SQL``: run SQL on the warehouse catalog and print the result as a table."""

from __future__ import annotations

from pathlib import Path

import duckdb
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.paths import WarehouseLayout, resolve_warehouse
from warehouse.catalog import connect


def run_query(sql: str, warehouse: Path | None = None, limit: int = 50, console: Console | None = None) -> int:
    """Print up to ``limit`` rows; 0 on success, 1 on an SQL error."""
    console = console or Console(highlight=False)
    layout = WarehouseLayout(resolve_warehouse(warehouse))
    try:
        with connect(layout) as con:
            cur = con.execute(sql)
            columns = [d[0] for d in cur.description or []]
            rows = cur.fetchmany(limit + 1)
    except duckdb.Error as exc:
        console.print(f"[red]SQL error:[/red] {escape(str(exc))}")
        return 1
    table = Table(*(escape(c) for c in columns), title=None)
    for row in rows[:limit]:
        table.add_row(*("NULL" if v is None else escape(str(v)) for v in row))
    console.print(table)
    more = " (more rows not shown; use --limit)" if len(rows) > limit else ""
    console.print(f"{min(len(rows), limit)} rows{more}")
    return 0
