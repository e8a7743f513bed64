"""``takuso.duckdb``: the catalog analysts open. It holds the committed file ledger and the views.

The catalog is rebuilt after every run into a temporary file and renamed over the old one. A reader
that has the old file open keeps seeing the state before the run (the old ledger, so the views ignore
files added since); a new connection sees the state after it. The nightly writer never opens the file
a reader holds, and no reader ever sees half a night. Parquet stays the store of record: deleting the
catalog loses nothing (``takuso catalog`` rebuilds it).

Views derive the current state: every revision is kept in Parquet, and "latest" is a window over it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from core.paths import WarehouseLayout
from warehouse.store import committed_ledgers
from warehouse.views import (
    COLUMN_COMMENTS,
    DATASETS,
    PERSONAL_COLUMNS,
    PERSONAL_POINTS,
    PERSONAL_VIEWS,
    VIEWS,
    Dataset,
)

# Partition values stay text ('03', not 3); files written at different times may differ in columns.
_READ_OPTIONS = "hive_partitioning = true, hive_types_autocast = false, union_by_name = true"


def _glob(layout: WarehouseLayout, ds: Dataset) -> str:
    return str(layout.dataset_dir(ds.folder) / "**" / "*.parquet")


def _has_files(layout: WarehouseLayout, ds: Dataset) -> bool:
    root = layout.dataset_dir(ds.folder)
    return root.exists() and any(p.name.endswith(".parquet") and not p.name.startswith(".") for p in root.rglob("*"))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


ViewBuilder = Callable[[duckdb.DuckDBPyConnection], Sequence[str]]
"""Creates more public views on the catalog being built and returns their names (for the column comments).

The steps above the store (reconciliation, charges) add their views through this, so the store never
imports them.
"""


def build_catalog(layout: WarehouseLayout, extra_views: Sequence[ViewBuilder] = ()) -> Path:
    """Write a new catalog beside the old one and swap it in atomically; return its path.

    ``extra_views`` add the views of the steps above the store (the reconciliation's). The personal data
    (customer ids, names, addresses) goes into a separate catalog only its owner can read
    (:func:`build_personal_catalog`); the analysts' catalog has no column of it.
    """
    layout.root.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(layout)

    def create(con: duckdb.DuckDBPyConnection) -> None:
        _create_datasets(con, layout, exclude=PERSONAL_COLUMNS)
        for view in VIEWS:
            con.execute(f"CREATE VIEW {view.name} AS {view.sql}")
            con.execute(f"COMMENT ON VIEW {view.name} IS {_quote(view.comment)}")
        names = [v.name for v in VIEWS]
        for builder in extra_views:
            names.extend(builder(con))
        _comment_columns(con, names)

    _build(layout.duckdb_file, create)
    build_personal_catalog(layout)
    return layout.duckdb_file


def build_personal_catalog(layout: WarehouseLayout) -> Path:
    """``takuso-personal.duckdb`` (mode 0600): the customers of the supply points, for those who need them."""

    def create(con: duckdb.DuckDBPyConnection) -> None:
        _create_datasets(con, layout, datasets=(PERSONAL_POINTS,))
        for view in PERSONAL_VIEWS:
            con.execute(f"CREATE VIEW {view.name} AS {view.sql}")
            con.execute(f"COMMENT ON VIEW {view.name} IS {_quote(view.comment)}")
        _comment_columns(con, [v.name for v in PERSONAL_VIEWS])

    return _build(layout.personal_duckdb_file, create, mode=0o600)


def _build(target: Path, create, mode: int | None = None) -> Path:  # create: Callable[[connection], None]
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        create(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, target)
    return target


def _create_datasets(
    con: duckdb.DuckDBPyConnection,
    layout: WarehouseLayout,
    exclude: tuple[str, ...] = (),
    datasets: tuple[Dataset, ...] = DATASETS,
) -> None:
    """The committed ledger and a view per Parquet dataset (only committed files, ``exclude`` left out)."""
    _create_ledger(con, layout)
    for ds in datasets:
        ds = ds.without(exclude)
        if _has_files(layout, ds):
            source = f"read_parquet({_quote(_glob(layout, ds))}, {_READ_OPTIONS})"
            # only committed files: what a killed or running run wrote stays invisible, here too
            committed = " WHERE file_id IN (SELECT file_id FROM file_ledger WHERE status = 'loaded')"
            where = committed if any(c == "file_id" for c, _ in ds.columns) else ""
            con.execute(f"CREATE VIEW {ds.name} AS SELECT {ds.select} FROM {source}{where}")
        else:
            con.execute(f"CREATE VIEW {ds.name} AS SELECT {ds.empty} WHERE false")


def _remove_stale_builds(layout: WarehouseLayout) -> None:
    """Half-built catalogs of processes that were killed while building (their pid is gone)."""
    for stale in layout.root.glob(".takuso*.duckdb.*.tmp"):
        try:
            pid = int(stale.name.split(".")[3])
            os.kill(pid, 0)
        except ProcessLookupError:
            stale.unlink(missing_ok=True)
        except (ValueError, IndexError, PermissionError):
            continue


def _comment_columns(con: duckdb.DuckDBPyConnection, views: list[str]) -> None:
    """Every column of the public views gets its comment (Japanese and English) from one dictionary."""
    for view in views:
        for (column,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [view]
        ).fetchall():
            comment = COLUMN_COMMENTS.get(column)
            if comment:
                con.execute(f'COMMENT ON COLUMN {view}."{column}" IS {_quote(comment)}')


def _create_ledger(con: duckdb.DuckDBPyConnection, layout: WarehouseLayout) -> None:
    paths = committed_ledgers(layout)
    if paths:
        files = "[" + ", ".join(_quote(str(p)) for p in paths) + "]"
        con.execute(f"CREATE TABLE file_ledger AS SELECT * FROM read_parquet({files}, union_by_name = true)")
    else:
        from warehouse.store import LEDGER_SCHEMA

        con.register("empty_ledger", LEDGER_SCHEMA.empty_table())
        con.execute("CREATE TABLE file_ledger AS SELECT * FROM empty_ledger")
        con.unregister("empty_ledger")


def connect_personal(layout: WarehouseLayout) -> duckdb.DuckDBPyConnection:
    """Open the personal-data catalog (read-only), for those allowed to read it."""
    if not layout.personal_duckdb_file.exists():
        build_personal_catalog(layout)
    return duckdb.connect(str(layout.personal_duckdb_file), read_only=True)


def connect(layout: WarehouseLayout, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the catalog (building it first, without the views of later steps, if there is none yet)."""
    if not layout.duckdb_file.exists():
        build_catalog(layout)
    return duckdb.connect(str(layout.duckdb_file), read_only=read_only)
