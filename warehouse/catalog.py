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
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from core.paths import WarehouseLayout
from warehouse.charges import charge_files
from warehouse.store import committed_ledgers, runs_committed_by
from warehouse.views import (
    COLUMN_COMMENTS,
    CURRENT_VIEWS,
    DATASETS,
    FILE_LATEST,
    HISTORY_VIEWS,
    PERSONAL_COLUMNS,
    PERSONAL_POINTS,
    PERSONAL_POINTS_HISTORY,
    PERSONAL_VIEWS,
    STORED_CURRENT_UNIONS,
    VIEWS,
    Dataset,
    View,
)

INTERNAL = "internal"
"""The schema of the helper views and the file ledger: out of the analysts' listing (``main``)."""
STORAGE_VERSION = "v1.4.0"
"""Write the catalog in a storage format the ``duckdb`` command line of the ``duckdb-cli`` package reads."""

# Partition values stay text ('03', not 3); files written at different times may differ in columns.
_READ_OPTIONS = "hive_partitioning = true, hive_types_autocast = false, union_by_name = true"


def _glob(layout: WarehouseLayout, ds: Dataset) -> str:
    return str(layout.dataset_dir(ds.folder) / "**" / "*.parquet")


def _has_files(layout: WarehouseLayout, ds: Dataset) -> bool:
    root = layout.dataset_dir(ds.folder)
    return root.exists() and any(p.name.endswith(".parquet") and not p.name.startswith(".") for p in root.rglob("*"))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class CatalogBuild:
    """What a view builder may reuse from the catalog being replaced (前回カタログの再利用).

    ``previous`` is that catalog when it holds every committed run but the one that just committed, whose
    stored current state changed only in ``days`` (area, usage date) and ``months`` (area, first day of the
    target month). Without ``previous`` a builder computes everything afresh (a first build, ``takuso
    catalog``, a catalog that fell behind, an as-of catalog).
    """

    previous: Path | None = None
    days: frozenset[tuple[str, date]] = frozenset()
    months: frozenset[tuple[str, date]] = frozenset()


ViewBuilder = Callable[[duckdb.DuckDBPyConnection, CatalogBuild], Sequence[str]]
"""Creates more public views on the catalog being built and returns their names (for the column comments).

The steps above the store (reconciliation, charges) add their views through this, so the store never
imports them. A builder may also store tables of its own in the catalog (``internal``), reusing the rows
of the previous catalog that ``CatalogBuild`` says are still valid.
"""


def build_catalog(
    layout: WarehouseLayout, extra_views: Sequence[ViewBuilder] = (), reuse: CatalogBuild = CatalogBuild()
) -> Path:
    """Write a new catalog beside the old one and swap it in atomically; return its path.

    ``extra_views`` add the views of the steps above the store (the reconciliation's); ``reuse`` tells
    them what of the old catalog is still valid. The personal data
    (customer ids, names, addresses) goes into a separate catalog only its owner can read
    (:func:`build_personal_catalog`); the analysts' catalog has no column of it.
    """
    layout.root.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(layout)

    def create(con: duckdb.DuckDBPyConnection) -> None:
        create_views(con, layout, extra_views, lambda: stored_current_views(con, layout), reuse=reuse)

    _build(layout.duckdb_file, create)
    build_personal_catalog(layout)
    return layout.duckdb_file


def create_views(
    con: duckdb.DuckDBPyConnection,
    layout: WarehouseLayout,
    extra_views: Sequence[ViewBuilder] = (),
    current: Callable[[], Sequence[View]] = lambda: CURRENT_VIEWS,
    datasets_ready: bool = False,
    reuse: CatalogBuild = CatalogBuild(),
) -> None:
    """Every view of the analysts' catalog on ``con``: helpers in ``internal``, the public ones in ``main``.

    ``current`` gives the current state (``internal.*_current``), once the history views exist: derived
    from the history by default, the stored current-state files in the nightly catalog.
    """
    if not datasets_ready:
        _create_datasets(con, layout, exclude=PERSONAL_COLUMNS)
    for view in HISTORY_VIEWS:
        con.execute(f"CREATE OR REPLACE VIEW {INTERNAL}.{view.name} AS {view.sql}")
    stored = {}
    for view in current():
        con.execute(f"CREATE OR REPLACE VIEW {INTERNAL}.{view.name} AS {view.sql}")
        if "read_parquet(" in view.sql:  # the stored files
            stored[f"{INTERNAL}.{view.name}"] = f"({view.sql})"
    con.execute(f"CREATE OR REPLACE TABLE {INTERNAL}.file_latest AS {FILE_LATEST}")
    for view in VIEWS:
        sql = view.sql
        for name, files in stored.items():  # a public view reads the stored files directly: one view less to bind
            sql = sql.replace(name, files)
        con.execute(f"CREATE OR REPLACE VIEW main.{view.name} AS {sql}")
        con.execute(f"COMMENT ON VIEW main.{view.name} IS {_quote(view.comment)}")
    names = [v.name for v in VIEWS]
    for builder in extra_views:
        names.extend(_add_public(con, builder, reuse))
    _comment_columns(con, names)


def _add_public(con: duckdb.DuckDBPyConnection, builder: ViewBuilder, reuse: CatalogBuild) -> list[str]:
    """Run a builder inside ``internal``; the views it names become public views in ``main``, with its comment."""
    database = con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
    con.execute(f'USE "{database}".{INTERNAL}')
    try:
        public = list(builder(con, reuse))
    finally:
        con.execute(f'USE "{database}".main')
    for name in public:
        comment = con.execute(
            "SELECT comment FROM duckdb_views() WHERE schema_name = ? AND view_name = ?", [INTERNAL, name]
        ).fetchone()
        con.execute(f"CREATE OR REPLACE VIEW main.{name} AS SELECT * FROM {INTERNAL}.{name}")
        if comment and comment[0]:
            con.execute(f"COMMENT ON VIEW main.{name} IS {_quote(comment[0])}")
        for column, text in con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?"
            " AND comment IS NOT NULL",
            [INTERNAL, name],
        ).fetchall():  # the builder's own column comments go with the view
            con.execute(f'COMMENT ON COLUMN main.{name}."{column}" IS {_quote(text)}')
    return public


def build_personal_catalog(layout: WarehouseLayout) -> Path:
    """``takuso-personal.duckdb`` (mode 0600): the customers of the supply points, for those who need them."""

    def create(con: duckdb.DuckDBPyConnection) -> None:
        _create_datasets(con, layout, datasets=(PERSONAL_POINTS,))
        con.execute(f"CREATE OR REPLACE VIEW {INTERNAL}.points_history AS {PERSONAL_POINTS_HISTORY}")
        for view in PERSONAL_VIEWS:
            con.execute(f"CREATE VIEW {view.name} AS {view.sql}")
            con.execute(f"COMMENT ON VIEW {view.name} IS {_quote(view.comment)}")
        _comment_columns(con, [v.name for v in PERSONAL_VIEWS])

    return _build(layout.personal_duckdb_file, create, mode=0o600)


def _build(target: Path, create, mode: int | None = None) -> Path:  # create: Callable[[connection], None]
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp), config={"storage_compatibility_version": STORAGE_VERSION})
    try:
        con.execute("BEGIN TRANSACTION")  # one commit for the whole catalog, not one per statement
        create(con)
        con.execute("COMMIT")
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
    ledgers: Sequence[Path] | None = None,
    as_of: datetime | None = None,
) -> None:
    """The committed ledger and a view per Parquet dataset (only committed files, ``exclude`` left out).

    ``ledgers`` limits the ledger to some runs' files and ``as_of`` the charges to those stored by then
    (the warehouse as of a past moment).
    """
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {INTERNAL}")
    _create_ledger(con, committed_ledgers(layout) if ledgers is None else ledgers)
    for ds in datasets:
        ds = ds.without(exclude)
        if ds.name == "ds_wheeling_charges":  # the newest version of each month's charges
            versions = charge_files(layout, as_of)
            source = "read_parquet([" + ", ".join(_quote(str(p)) for p in versions) + f"], {_READ_OPTIONS})"
            if versions:
                con.execute(f"CREATE VIEW {INTERNAL}.{ds.name} AS SELECT {ds.select} FROM {source}")
            else:
                con.execute(f"CREATE VIEW {INTERNAL}.{ds.name} AS SELECT {ds.empty} WHERE false")
            continue
        if _has_files(layout, ds):
            source = f"read_parquet({_quote(_glob(layout, ds))}, {_READ_OPTIONS})"
            # only committed files: what a killed or running run wrote stays invisible, here too
            committed = f" WHERE file_id IN (SELECT file_id FROM {INTERNAL}.file_ledger WHERE status = 'loaded')"
            where = committed if any(c == "file_id" for c, _ in ds.columns) else ""
            con.execute(f"CREATE VIEW {INTERNAL}.{ds.name} AS SELECT {ds.select} FROM {source}{where}")
        else:
            con.execute(f"CREATE VIEW {INTERNAL}.{ds.name} AS SELECT {ds.empty} WHERE false")


def create_datasets(con: duckdb.DuckDBPyConnection, layout: WarehouseLayout) -> None:
    """``internal.file_ledger`` and the ``internal.ds_*`` views of the analysts' catalog (no personal column)."""
    _create_datasets(con, layout, exclude=PERSONAL_COLUMNS)


def create_datasets_over(
    con: duckdb.DuckDBPyConnection, layout: WarehouseLayout, ledger: pa.Table, files: Sequence[Path]
) -> None:
    """The same internal views over given data files and ledger rows only (one run's, before it commits)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {INTERNAL}")
    con.register("run_ledger", ledger)
    con.execute(f"CREATE TABLE {INTERNAL}.file_ledger AS SELECT * FROM run_ledger")
    con.unregister("run_ledger")
    for ds in DATASETS:
        ds = ds.without(PERSONAL_COLUMNS)
        mine = [f for f in files if f.is_relative_to(layout.dataset_dir(ds.folder))]
        if mine:
            paths = "[" + ", ".join(_quote(str(f)) for f in mine) + "]"
            con.execute(
                f"CREATE VIEW {INTERNAL}.{ds.name} AS SELECT {ds.select} FROM read_parquet({paths}, {_READ_OPTIONS})"
            )
        else:
            con.execute(f"CREATE VIEW {INTERNAL}.{ds.name} AS SELECT {ds.empty} WHERE false")


def stored_current_views(con: duckdb.DuckDBPyConnection, layout: WarehouseLayout) -> list[View]:
    """``internal.*_current`` over the stored current-state files (an empty relation of the same columns
    where a dataset has none: the stored state is complete for every committed run)."""
    from warehouse.current import CURRENT_DATASETS, committed_runs, stored_view_sql

    for view in CURRENT_VIEWS:  # the rules over the history: their columns, for an empty dataset
        con.execute(f"CREATE OR REPLACE VIEW {INTERNAL}.{view.name} AS {view.sql}")
    committed = committed_runs(layout)
    by_name = {v.name: v for v in CURRENT_VIEWS}
    out = []
    for ds in CURRENT_DATASETS:
        view = by_name[ds.name]
        sql = stored_view_sql(layout, ds, committed)
        if sql is None:
            columns = con.execute(f"DESCRIBE {INTERNAL}.{view.name}").fetchall()
            sql = "SELECT " + ", ".join(f'CAST(NULL AS {t}) AS "{c}"' for c, t, *_ in columns) + " WHERE false"
        out.append(View(ds.name, view.comment, sql))
    return [*out, *STORED_CURRENT_UNIONS]


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
    """Every column of the public views gets its comment (Japanese and English) from one dictionary.

    A ``view.column`` entry wins; else a comment the view's builder gave the column stays; else the
    column's general entry.
    """
    statements = []
    for view in views:
        for column, existing in con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ?", [view]
        ).fetchall():
            comment = COLUMN_COMMENTS.get(f"{view}.{column}") or existing or COLUMN_COMMENTS.get(column)
            if comment and comment != existing:
                statements.append(f'COMMENT ON COLUMN main.{view}."{column}" IS {_quote(comment)};')
    if statements:
        con.execute("\n".join(statements))  # one call: parsed and run in turn, without a round trip each


def _create_ledger(con: duckdb.DuckDBPyConnection, paths: Sequence[Path]) -> None:
    if paths:
        files = "[" + ", ".join(_quote(str(p)) for p in paths) + "]"
        con.execute(f"CREATE TABLE {INTERNAL}.file_ledger AS SELECT * FROM read_parquet({files}, union_by_name = true)")
    else:
        from warehouse.store import LEDGER_SCHEMA

        con.register("empty_ledger", LEDGER_SCHEMA.empty_table())
        con.execute(f"CREATE TABLE {INTERNAL}.file_ledger AS SELECT * FROM empty_ledger")
        con.unregister("empty_ledger")


class NoWarehouse(LookupError):
    """The folder holds no warehouse (a reader never creates one)."""


def _require(layout: WarehouseLayout) -> None:
    if not layout.exists:
        raise NoWarehouse(f"no warehouse at {layout.root} (takuso ingest or takuso run makes one)")


def connect_personal(layout: WarehouseLayout) -> duckdb.DuckDBPyConnection:
    """Open the personal-data catalog (read-only), for those allowed to read it."""
    _require(layout)
    if not layout.personal_duckdb_file.exists():
        build_personal_catalog(layout)
    return duckdb.connect(str(layout.personal_duckdb_file), read_only=True)


def connect(layout: WarehouseLayout, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the catalog; raise :class:`NoWarehouse` when the folder holds no warehouse.

    A warehouse whose catalog file was deleted gets it rebuilt first (without the views of later steps).
    """
    _require(layout)
    if not layout.duckdb_file.exists():
        build_catalog(layout)
    return duckdb.connect(str(layout.duckdb_file), read_only=read_only)


def open_catalog(
    layout: WarehouseLayout, as_of: datetime | None = None, extra_views: Sequence[ViewBuilder] = ()
) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse as it is, or as it was at ``as_of`` (UTC).

    As of a past moment, an in-memory catalog holds only the runs committed by then and derives every
    current view from their records with the same rules (``extra_views`` are added to it too).
    """
    if as_of is None:
        return connect(layout)
    _require(layout)
    con = duckdb.connect()
    try:
        ledgers = [layout.datasets / "ledger" / f"{run}.parquet" for run in runs_committed_by(layout, as_of)]
        found = [p for p in ledgers if p.exists()]
        _create_datasets(con, layout, exclude=PERSONAL_COLUMNS, ledgers=found, as_of=as_of)
        create_views(con, layout, extra_views, datasets_ready=True)
    except BaseException:
        con.close()
        raise
    return con
