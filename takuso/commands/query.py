"""``takuso query SQL``: run SQL on the warehouse (read-only) and print a table, CSV or JSON, or write a file.

``--out FILE`` writes CSV, JSON (an array of objects) or Parquet by the file's ending; ``--format`` chooses
what is printed when there is no ``--out``. ``--as-of`` answers from the warehouse as it was at a past
moment. A folder without a warehouse is exit 2, and nothing is created in it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.paths import WarehouseLayout, resolve_warehouse
from reconcile.checks import catalog_views
from warehouse.catalog import NoWarehouse, open_catalog

FORMATS = ("table", "csv", "json")
JST = timezone(timedelta(hours=9), "JST")


def parse_as_of(text: str) -> datetime:
    """``2025-11-06T09:00`` (JST) or with an offset (``…+00:00``) → the moment in UTC, without tzinfo.

    The warehouse records when each run committed in UTC; an analyst in Japan means Japanese time.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a time like 2025-11-06T09:00 (JST) or 2025-11-06T00:00+00:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=JST)
    return moment.astimezone(UTC).replace(tzinfo=None)


_COPY_OPTIONS = {".csv": "FORMAT csv, HEADER", ".json": "FORMAT json, ARRAY true", ".parquet": "FORMAT parquet"}


def run_query(
    sql: str,
    warehouse: Path | None = None,
    limit: int = 50,
    console: Console | None = None,
    fmt: str = "table",
    out: Path | None = None,
    as_of: datetime | None = None,
) -> int:
    """Run ``sql``: 0 on success, 1 on an SQL error, 2 on a usage error or when there is no warehouse."""
    console = console or Console(highlight=False)
    if fmt not in FORMATS:
        console.print(f"[red]unknown --format {escape(fmt)!r}; use one of {', '.join(FORMATS)}[/red]")
        return 2
    if out is not None and out.suffix.lower() not in _COPY_OPTIONS:
        console.print(f"[red]--out {escape(str(out))}: the file must end in .csv, .json or .parquet[/red]")
        return 2
    layout = WarehouseLayout(resolve_warehouse(warehouse))
    try:
        with open_catalog(layout, as_of=as_of, extra_views=[catalog_views()] if as_of else ()) as con:
            if out is not None:
                rows = _copy(con, sql, out)
                console.print(f"wrote {rows} rows to {escape(str(out))}")
            elif fmt == "table":
                _print_table(con, sql, limit, console)
            else:
                with tempfile.TemporaryDirectory(prefix="takuso-query-") as tmp:
                    target = Path(tmp) / f"result.{fmt}"
                    _copy(con, sql, target)
                    with open(target, "rb") as fh:
                        shutil.copyfileobj(fh, sys.stdout.buffer)
                    sys.stdout.buffer.flush()
    except NoWarehouse as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        return 2
    except duckdb.Error as exc:
        console.print(f"[red]SQL error:[/red] {escape(str(exc))}")
        return 1
    return 0


def _copy(con: duckdb.DuckDBPyConnection, sql: str, target: Path) -> int:
    """Write the result of the query ``sql`` to ``target`` (format by its ending); return the row count."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW takuso_result AS {sql.strip().rstrip(';')}")
    quoted = "'" + str(target).replace("'", "''") + "'"
    written = con.execute(f"COPY takuso_result TO {quoted} ({_COPY_OPTIONS[target.suffix.lower()]})").fetchone()
    return int(written[0]) if written else 0


def _print_table(con: duckdb.DuckDBPyConnection, sql: str, limit: int, console: Console) -> None:
    cur = con.execute(sql)
    columns = [d[0] for d in cur.description or []]
    rows = cur.fetchmany(limit + 1)
    table = Table(*(escape(c) for c in columns), title=None)
    for row in rows[:limit]:
        table.add_row(*("NULL" if v is None else escape(str(v)) for v in row))
    console.print(table)
    more = " (more rows not shown; use --limit, or --out FILE for all)" if len(rows) > limit else ""
    console.print(f"{min(len(rows), limit)} rows{more}")
