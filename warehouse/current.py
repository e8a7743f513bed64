"""The current state (現在値), stored: one Parquet file per partition beside the append-only history.

Layout under ``WAREHOUSE/parquet/current``::

    interval/area_code=03/usage_date=2024-04-10/<run_id>.parquet   30-minute rows of both data classes, per day
    monthly_usage/area_code=03/month=2024-04/<run_id>.parquet      月間確定使用量, per month

A run rewrites only the partitions its files touch: the partition's current file and the run's new
records go through the same rules the views would apply to the whole history (:mod:`warehouse.views`:
``preliminary_current``, ``monthly_current``, ``confirmed_current``), so the result equals the rules over
every record ever loaded, and a night costs what its own partitions weigh, not what the warehouse holds.
Both data classes of a day share one file, so ``interval_usage`` is one scan of one file per day, pruned
by the folder names before any file is opened. The new file is named after the run and counts only once
the run's commit marker exists: a killed run leaves files no catalog lists, removed by the next run. A
partition keeps its previous file for one more run (a reader whose catalog predates the last run still
reads it), so the file count stays at most two per partition. Everything here can be rebuilt from the
history (:func:`rebuild_current`), which itself can be rebuilt from ``raw/``.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.files import atomic_write_bytes
from core.parallel import side_by_side
from core.paths import WarehouseLayout
from warehouse.linked import MAX_ROWS, SLOTS, Day, Span, current_form, fresh_days, link_or_copy, span_of, write_in_place
from warehouse.store import parquet_options
from warehouse.views import (
    BILLABLE_KWH,
    DATASETS,
    HISTORY_VIEWS,
    PRELIMINARY_HISTORY,
    confirmed_current,
    monthly_current,
    preliminary_current,
)


@dataclass(frozen=True)
class CurrentDataset:
    """One stored current state: the internal view it backs, its folder, its partition and row order."""

    name: str  # internal.<name>
    folder: str
    partition: str  # the column beside area_code: usage_date (a file per day) or target_month (per month)
    sort: str  # row order inside a file: point look-ups skip row groups by their statistics
    rows: str = "true"  # which rows of the rules' result the files hold
    compression: str = "zstd"  # a month's few small files: lz4, cheaper to open than they are to store
    derived: tuple[tuple[str, str], ...] = ()  # (column, SQL over the stored ones): computed when read, not stored

    @property
    def exclude(self) -> str:
        """``EXCLUDE (…)`` of the derived columns, for a ``SELECT *`` of the rows to store."""
        return f"EXCLUDE ({', '.join(c for c, _ in self.derived)})" if self.derived else ""

    @property
    def folder_key(self) -> str:
        """The partition folder's key: ``usage_date=2024-04-10``, or ``month=2024-04`` for a month."""
        return "usage_date" if self.partition == "usage_date" else "month"

    def partition_folder(self, root: Path, area: str, value: object) -> Path:
        text = str(value) if self.partition == "usage_date" else str(value)[:7]
        return root / self.folder / f"area_code={area}" / f"{self.folder_key}={text}"

    @property
    def reader_options(self) -> str:
        """30-minute readers prune whole day files by area and date from the folder names, before opening
        any; a month's few files carry area and month in their rows, where reading the folder names would
        cost more than it saves (a fifth of a monthly total's time)."""
        if self.folder_key != "usage_date":
            return "hive_partitioning = false"
        return "hive_partitioning = true, hive_types = {'area_code': VARCHAR, 'usage_date': DATE}"


_MONTHLY_SORT = "supply_point_id, split_code"
MONTHLY = CurrentDataset("monthly_shown", "monthly_usage", "target_month", _MONTHLY_SORT, "shown", "lz4")
"""The rows ``monthly_usage`` shows (one per point × month): read without a filter."""
MONTHLY_HIDDEN = CurrentDataset("monthly_hidden", "monthly_hidden", "target_month", _MONTHLY_SORT, "NOT shown", "lz4")
"""The 全量 '1' monthly records a 部分 '2' record outranks: kept for the rules."""
_INTERVAL_SORT = "data_class, supply_point_id, slot, split_code"
_BILLABLE = (("billable_kwh", BILLABLE_KWH),)  # 請求対象電力量: kwh again for every preliminary row
INTERVAL = CurrentDataset("interval_shown", "interval", "usage_date", _INTERVAL_SORT, "shown", derived=_BILLABLE)
"""The rows ``interval_usage`` shows (one per point × date × slot × data class): read without a filter."""
INTERVAL_HIDDEN = CurrentDataset(
    "interval_hidden", "interval_hidden", "usage_date", _INTERVAL_SORT, "NOT shown", derived=_BILLABLE
)
"""The 全量 '1' rows a 部分 '2' record outranks: kept for the rules, a file only for the days that have any."""
CURRENT_DATASETS: tuple[CurrentDataset, ...] = (MONTHLY, MONTHLY_HIDDEN, INTERVAL, INTERVAL_HIDDEN)
"""Monthly first: the current monthly records decide which confirmed 30-minute rows are current."""

_NEW_MONTHLY = "SELECT * FROM internal.points_history WHERE kind = 'monthly_usage'"
_PRELIMINARY, _CONFIRMED = "interval_preliminary", "interval_confirmed"  # history folders of 30-minute rows
_RULE_INPUTS = (_PRELIMINARY, _CONFIRMED, "points/kind=monthly_usage")  # what the current state derives from
CURRENT_ROW_GROUP = 122_880
MEMORY_LIMIT = "512MB"
"""DuckDB's memory for the rules: a bigger night spills to the warehouse's staging folder instead."""
WRITERS = os.cpu_count() or 1
"""Partition files written side by side (each DuckDB ``COPY`` or Arrow write works without Python's lock)."""
BATCH_ROWS = 400_000
"""Rows the 30-minute rules take at a time (consecutive days, :func:`day_batches`): a month of confirmed
usage for 700 points goes through in three passes, not 30 scans of its files; the memory a pass takes
stays bounded (the monthly bench shape peaks at 450 MB with this, at 549 MB with a million)."""
_INTERVAL_INPUTS = (_PRELIMINARY, _CONFIRMED)


LAYOUT_VERSION = "4"  # 3: the rows shown and the rows outranked in separate files, monthly and 30-minute;
# 4: billable_kwh not stored in the 30-minute files (computed when read)
"""Written in ``current/VERSION``; a stored state of another version is rebuilt from the history."""


def current_root(layout: WarehouseLayout) -> Path:
    return layout.datasets / "current"


def current_is_stale(layout: WarehouseLayout) -> bool:
    """True when committed runs exist but their stored current state is missing or of another layout."""
    version = current_root(layout) / "VERSION"
    return bool(committed_runs(layout)) and not (version.exists() and version.read_text().strip() == LAYOUT_VERSION)


def _mark_version(root: Path) -> None:
    if not (root / "VERSION").exists():
        atomic_write_bytes(root / "VERSION", LAYOUT_VERSION.encode())


def committed_runs(layout: WarehouseLayout) -> set[str]:
    runs = layout.datasets / "runs"
    return {m.stem for m in runs.glob("*.json")} if runs.exists() else set()


def current_files(layout: WarehouseLayout, ds: CurrentDataset, committed: set[str] | None = None) -> list[Path]:
    """The current file of every partition of ``ds``: the newest one of a committed run."""
    committed = committed_runs(layout) if committed is None else committed
    root = current_root(layout) / ds.folder
    partitions = sorted(root.glob("*/*")) if root.exists() else []
    return [newest for partition in partitions for newest in _newest(partition, committed)]


def _newest(folder: Path, committed: set[str]) -> list[Path]:
    versions = sorted(p for p in folder.glob("*.parquet") if p.stem in committed) if folder.exists() else []
    return versions[-1:]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _files_sql(paths: Sequence[Path]) -> str:
    return "[" + ", ".join(_quote(str(p)) for p in paths) + "]"


def stored_view_sql(layout: WarehouseLayout, ds: CurrentDataset, committed: set[str] | None = None) -> str | None:
    """``internal.<name>`` over the stored files (None when there are none)."""
    files = current_files(layout, ds, committed)
    if not files:
        return None
    derived = "".join(f", {sql} AS {c}" for c, sql in ds.derived)
    return f"SELECT *{derived} FROM read_parquet({_files_sql(files)}, {ds.reader_options})"


def _stored(paths: Sequence[Path]) -> str:
    return f"(SELECT * EXCLUDE (shown) FROM read_parquet({_files_sql(paths)}, hive_partitioning = false))"


def update_current(layout: WarehouseLayout, run_id: str, ledger: pa.Table, published: Sequence[Path]) -> list[Path]:
    """Write the new current file of every partition the run touched (before the run commits).

    ``ledger`` is the run's ledger rows and ``published`` the run's history files. A new day the run's
    files make on their own gets their rows as they are, one file's by a hard link
    (:func:`write_fresh_days`); the other partitions go through the rules, over their own rows only.
    Returns the new files.
    """
    committed = committed_runs(layout)
    root = current_root(layout)
    root.mkdir(parents=True, exist_ok=True)
    _mark_version(root)
    scratch = layout.staging / f"{run_id}-current"  # DuckDB spills here when a night outgrows its memory
    # which days each 30-minute file covers, from its statistics: read once, for both steps (a file the first
    # step rewrites in the current form is not one the rules read)
    spans = {
        folder: [span_of(p) for p in published if p.is_relative_to(layout.dataset_dir(folder))]
        for folder in _INTERVAL_INPUTS
    }
    try:
        linked, written = write_fresh_days(layout, run_id, ledger, spans, committed)
        rest = [p for p in published if p not in linked]
        if any(p.is_relative_to(layout.dataset_dir(folder)) for p in rest for folder in _RULE_INPUTS):
            unlinked = [s for folder in _INTERVAL_INPUTS for s in spans[folder] if s.path not in linked]
            written += _apply_rules(layout, run_id, ledger, rest, unlinked, committed, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return written


def write_fresh_days(
    layout: WarehouseLayout, run_id: str, ledger: pa.Table, spans: Mapping[str, Sequence[Span]], committed: set[str]
) -> tuple[set[Path], list[Path]]:
    """Days with no current file yet that the run's preliminary files make on their own, no key twice:
    the rules would keep every row, so the day's current file is those rows in the current form. Made by
    one file, that file's history Parquet is rewritten in the current form and the day's current file is
    a hard link to it; made by several, their rows are written as the day's current file.

    ``spans`` are the run's 30-minute history files by folder (preliminary, confirmed). Returns the history
    files used so (they need no rule) and the current files made.
    """
    root = current_root(layout)
    taken = {key for key in {(s.area, s.one_day) for s in spans[_PRELIMINARY] if s.one_day is not None}
             if _previous((INTERVAL, INTERVAL_HIDDEN), root, [key], committed)}  # fmt: skip
    days = fresh_days(spans[_PRELIMINARY], spans[_CONFIRMED], taken)
    if not days:
        return set(), []
    per_slot = _per_slot_rows(layout, ledger, {p: key for key, paths in days.items() for p in paths})

    def write_day(key: Day, paths: list[Path]) -> Path | None:
        parts = [  # one thread each: the days are already side by side
            (pq.ParquetFile(p).read(use_threads=False), per_slot.filter(pc.equal(per_slot["file_id"], _file_id(p))))
            for p in paths
        ]
        table = current_form(parts, per_slot.schema, INTERVAL.sort.split(", "))
        if table is None:  # a key twice: the rules decide
            return None
        target = INTERVAL.partition_folder(root, *key) / f"{run_id}.parquet"
        if len(paths) == 1:
            write_in_place(paths[0], table, parquet_options(table), CURRENT_ROW_GROUP)
            link_or_copy(paths[0], target)
        else:
            write_in_place(target, table, parquet_options(table), CURRENT_ROW_GROUP)
        return target

    used: set[Path] = set()
    written: list[Path] = []
    rows = {s.path: s.rows for s in spans[_PRELIMINARY]}
    largest = max(sum(rows[p] for p in paths) for paths in days.values())
    # Arrow reads, sorts and writes without Python's lock; days side by side only while the memory of those
    # held at once stays within what one day may take (MAX_ROWS)
    with side_by_side(len(days) if largest * WRITERS <= MAX_ROWS else 1, WRITERS, "current") as run:
        for paths, target in zip(days.values(), run(lambda day: write_day(*day), days.items()), strict=True):
            if target is not None:
                used.update(paths)
                written.append(target)
    return used, written


def _file_id(path: Path) -> int:
    """A history file's source file: its name, ``<file_id>.parquet`` (or ``<file_id>-<n>.parquet``)."""
    return int(path.stem.split("-", 1)[0])


def _per_slot_rows(layout: WarehouseLayout, ledger: pa.Table, days: dict[Path, tuple[str, date]]) -> pa.Table:
    """The current rows the rules give each file for each slot 1..48, for a stand-in point (the file's id).

    Every column that is not the file's own (its attributes from the ledger, the slot's start time, the
    data class, ``shown``) comes from the views' SQL itself, so a linked file holds what a rule would.
    """
    from warehouse.catalog import INTERNAL, create_datasets_over

    stand_in = pa.table(
        {
            "file_id": pa.array([_file_id(p) for p in days], pa.int64()),
            "area_code": pa.array([a for a, _ in days.values()], pa.string()),
            "usage_date": pa.array([d for _, d in days.values()], pa.date32()),
        }
    )
    given = {"supply_point_id": "CAST(s.file_id AS VARCHAR)", "slot": "r.range", "usage_date": "s.usage_date",
             "file_id": "s.file_id", "area_code": "s.area_code"}  # fmt: skip
    ds = next(d for d in DATASETS if d.folder == _PRELIMINARY)
    select = ", ".join(f"CAST({given.get(c, 'NULL')} AS {t}) AS {c}" for c, t in ds.columns)
    with duckdb.connect() as con:
        create_datasets_over(con, layout, ledger, [])
        con.register("stand_in", stand_in)
        con.execute(
            f"CREATE OR REPLACE VIEW {INTERNAL}.{ds.name} AS SELECT {select} "
            f"FROM stand_in s CROSS JOIN range({SLOTS[0]}, {SLOTS[-1] + 1}) r"
        )
        con.execute(f"CREATE VIEW {INTERNAL}.preliminary_history AS {PRELIMINARY_HISTORY}")
        rule = preliminary_current(f"{INTERNAL}.preliminary_history")
        return con.sql(f"SELECT * {INTERVAL.exclude} FROM ({rule}) ORDER BY file_id, slot").to_arrow_table()


def _apply_rules(
    layout: WarehouseLayout,
    run_id: str,
    ledger: pa.Table,
    published: Sequence[Path],
    spans: Sequence[Span],
    committed: set[str],
    scratch: Path,
) -> list[Path]:
    """The rules over the touched partitions' stored rows and the run's records (``published``; ``spans``:
    the days its 30-minute files cover)."""
    from warehouse.catalog import create_datasets_over

    root = current_root(layout)
    written: list[Path] = []
    with _connect(scratch) as con:
        create_datasets_over(con, layout, ledger, published)
        for view in HISTORY_VIEWS:
            con.execute(f"CREATE VIEW internal.{view.name} AS {view.sql}")
        # 月間確定使用量: the touched months, from their stored rows and the run's records
        months = _partitions(con, f"SELECT DISTINCT area_code, target_month FROM ({_NEW_MONTHLY})")
        previous = _previous((MONTHLY, MONTHLY_HIDDEN), root, months, committed)
        source = f"({_NEW_MONTHLY})" if not previous else f"({_stored(previous)} UNION ALL BY NAME {_NEW_MONTHLY})"
        con.execute(f"CREATE TABLE monthly_new AS {monthly_current(source)}")
        written += _write_pair(con, "monthly_new", (MONTHLY, MONTHLY_HIDDEN), months, root, run_id, committed)
        # the 30-minute rows of the touched days, both data classes
        days = _partitions(
            con,
            "SELECT DISTINCT area_code, usage_date FROM internal.preliminary_history UNION "
            "SELECT DISTINCT area_code, usage_date FROM internal.confirmed_history",
        )
        before = {day: _previous((INTERVAL, INTERVAL_HIDDEN), root, [day], committed) for day in days}
        for batch in day_batches(days, lambda day: _rows_of_day(day, spans, before[day]), BATCH_ROWS):
            # a few days at a time: memory bounded by the batch's rows, each day's rows computed once
            previous = [p for day in batch for p in before[day]]
            _interval_rule(con, layout, previous, months, committed, batch)
            written += _write_pair(con, "interval_new", (INTERVAL, INTERVAL_HIDDEN), batch, root, run_id, committed)
    return written


def day_batches(days: Sequence[Day], rows_of: Callable[[Day], float], budget: float) -> list[list[Day]]:
    """``days`` (sorted) in runs of consecutive days of one area whose rows (``rows_of``) stay within
    ``budget``; a day over the budget on its own is a batch of one."""
    batches: list[list[Day]] = []
    total = 0.0
    for day in days:
        rows = rows_of(day)
        last = batches[-1][-1] if batches else None
        if last is None or last[0] != day[0] or day[1] - last[1] != timedelta(days=1) or total + rows > budget:
            batches.append([day])
            total = rows
        else:
            batches[-1].append(day)
            total += rows
    return batches


def _rows_of_day(day: Day, spans: Sequence[Span], previous: Sequence[Path]) -> float:
    """The rows the rules read for ``day``: its stored current rows, and the run's rows of it (a file's rows
    spread evenly over the days it covers; all of them where its days are unknown)."""
    stored = sum(pq.ParquetFile(p).metadata.num_rows for p in previous)
    new = 0.0
    for s in spans:
        if s.touches(*day):
            days = (s.last - s.first).days + 1 if s.first is not None and s.last is not None else 1
            new += s.rows / days
    return stored + new


def _previous(
    datasets: Sequence[CurrentDataset], root: Path, keys: Sequence[tuple[str, date]], committed: set[str]
) -> list[Path]:
    return [p for ds in datasets for key in keys for p in _newest(ds.partition_folder(root, *key), committed)]


def _write_pair(
    con: duckdb.DuckDBPyConnection,
    table: str,
    pair: tuple[CurrentDataset, CurrentDataset],
    keys: Sequence[tuple[str, date]],
    root: Path,
    run_id: str,
    committed: set[str],
) -> list[Path]:
    """Each partition's shown rows, and its outranked rows where it has any (or had: an empty file then
    replaces rows no longer outranked)."""
    shown, hidden = pair
    outranked = set(_partitions(con, f"SELECT DISTINCT area_code, {shown.partition} FROM {table} WHERE NOT shown"))
    jobs: list[_Job] = []
    for key in keys:
        jobs.append((shown, key, shown.partition_folder(root, *key)))
        folder = hidden.partition_folder(root, *key)
        if key in outranked or _newest(folder, committed):
            jobs.append((hidden, key, folder))
    return _write_all(con, table, jobs, run_id)


_Job = tuple[CurrentDataset, tuple[str, date], Path]  # a partition file to write: dataset, partition, folder


def _write_all(con: duckdb.DuckDBPyConnection, table: str, jobs: Sequence[_Job], run_id: str) -> list[Path]:
    """The partition files of ``jobs`` from ``table``, on a cursor per thread
    (:func:`core.parallel.side_by_side`); ``table`` is a table of the database, not a TEMP one, so every cursor
    sees it."""
    local = threading.local()
    cursors: list[duckdb.DuckDBPyConnection] = []

    def write(job: _Job) -> Path:
        if not hasattr(local, "cursor"):
            local.cursor = con.cursor()
            cursors.append(local.cursor)
        return _write(local.cursor, table, *job, run_id)

    try:
        with side_by_side(len(jobs), WRITERS, "current") as run:
            return list(run(write, jobs))
    finally:
        for cursor in cursors:
            cursor.close()


def _connect(scratch: Path) -> duckdb.DuckDBPyConnection:
    """A connection whose memory stays bounded: beyond :data:`MEMORY_LIMIT` DuckDB spills to ``scratch``."""
    scratch.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": str(scratch)})
    con.execute("SET preserve_insertion_order = false")
    return con


def _partitions(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[str, date]]:
    return [(a, v) for a, v in con.execute(f"{sql} ORDER BY ALL").fetchall() if a is not None and v is not None]


def _interval_rule(
    con: duckdb.DuckDBPyConnection,
    layout: WarehouseLayout,
    previous: Sequence[Path],
    touched_months: Sequence[tuple[str, date]],
    committed: set[str],
    days: Sequence[Day],
) -> None:
    """``interval_new``: the rules over the touched days' stored rows plus the run's records of those days
    (consecutive days of one area, :func:`day_batches`).

    Every rule ranks rows of one point, date and slot, so a day's result depends on that day's rows only.
    A confirmed row is current when its file's point record is (``confirmed_current``): the months this
    run touched come from ``monthly_new``, the other months the day's rows belong to from their stored files.
    """
    stored = _stored(previous) if previous else None
    (area, first), last = days[0], days[-1][1]
    # constants: pushed into the scans
    of_day = f"WHERE area_code = {_quote(area)} AND usage_date BETWEEN DATE '{first}' AND DATE '{last}'"
    prelim = f"SELECT * FROM internal.preliminary_history {of_day}"
    confirmed = f"SELECT * FROM internal.confirmed_history {of_day}"
    if stored:
        prelim = f"SELECT * FROM {stored} WHERE data_class = 'preliminary' UNION ALL BY NAME {prelim}"
        confirmed = f"SELECT * FROM {stored} WHERE data_class = 'confirmed' UNION ALL BY NAME {confirmed}"
    con.execute(f"CREATE OR REPLACE TEMP VIEW confirmed_input AS {confirmed}")
    months = _partitions(con, "SELECT DISTINCT area_code, target_month FROM confirmed_input")
    others = [(a, m) for a, m in months if (a, m) not in set(touched_months)]
    files = _previous((MONTHLY, MONTHLY_HIDDEN), current_root(layout), others, committed)
    winners = "SELECT * FROM monthly_new"
    if files:
        winners += f" UNION ALL BY NAME SELECT * FROM read_parquet({_files_sql(files)}, hive_partitioning = false)"
    con.execute(f"CREATE OR REPLACE TEMP VIEW monthly_winners AS {winners}")
    con.execute(
        f"CREATE OR REPLACE TABLE interval_new AS {preliminary_current(f'({prelim})')} "
        f"UNION ALL BY NAME {confirmed_current('confirmed_input', 'monthly_winners')}"
    )


def _write(
    con: duckdb.DuckDBPyConnection,
    table: str,
    ds: CurrentDataset,
    key: tuple[str, date],
    folder: Path,
    run_id: str,
) -> Path:
    """One partition's rows, sorted, into ``folder/<run_id>.parquet`` (temporary name, fsync, rename)."""
    target = folder / f"{run_id}.parquet"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    con.execute(
        f"COPY (SELECT * {ds.exclude} FROM {table} WHERE area_code = ? AND {ds.partition} = ? AND ({ds.rows}) "
        f"ORDER BY {ds.sort}) TO {_quote(str(tmp))} "
        f"(FORMAT parquet, COMPRESSION {ds.compression}, ROW_GROUP_SIZE {CURRENT_ROW_GROUP})",
        list(key),
    )
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return target


def prune_current(layout: WarehouseLayout) -> int:
    """Remove files no catalog can list any more: of runs that never committed, and versions two runs old.

    Runs under the writer lock, so a file of an uncommitted run belongs to a killed run.
    """
    committed = committed_runs(layout)
    root = current_root(layout)
    shutil.rmtree(root.with_name(".current-rebuild"), ignore_errors=True)
    removed = 0
    for ds in CURRENT_DATASETS:
        for partition in (root / ds.folder).glob("*/*"):
            for tmp in partition.glob(".*.part"):
                tmp.unlink(missing_ok=True)
            versions = sorted(partition.glob("*.parquet"))
            kept = [p for p in versions if p.stem in committed][-2:]
            for p in versions:
                if p not in kept:
                    p.unlink(missing_ok=True)
                    removed += 1
    return removed


def rebuild_current(layout: WarehouseLayout) -> None:
    """Recompute every partition from the whole committed history (after an upgrade, or if lost).

    Written beside the old state and swapped in, under the writer lock; files are named after the last
    committed run.
    """
    from warehouse.catalog import create_datasets

    committed = sorted(committed_runs(layout))
    if not committed:
        return
    root = current_root(layout)
    building = root.with_name(".current-rebuild")
    shutil.rmtree(building, ignore_errors=True)
    scratch = layout.staging / ".current-rebuild"
    with _connect(scratch) as con:
        create_datasets(con, layout)
        for view in HISTORY_VIEWS:
            con.execute(f"CREATE VIEW internal.{view.name} AS {view.sql}")
        con.execute(f"CREATE TABLE monthly_new AS {monthly_current(f'({_NEW_MONTHLY})')}")
        con.execute(
            "CREATE TABLE interval_new AS "
            f"{preliminary_current('internal.preliminary_history')} UNION ALL BY NAME "
            f"{confirmed_current('internal.confirmed_history', 'monthly_new')}"
        )
        for table, ds in zip(
            ("monthly_new", "monthly_new", "interval_new", "interval_new"), CURRENT_DATASETS, strict=True
        ):
            keys = _partitions(con, f"SELECT DISTINCT area_code, {ds.partition} FROM {table} WHERE {ds.rows}")
            _write_all(con, table, [(ds, key, ds.partition_folder(building, *key)) for key in keys], committed[-1])
    shutil.rmtree(scratch, ignore_errors=True)
    building.mkdir(parents=True, exist_ok=True)
    _mark_version(building)
    shutil.rmtree(root, ignore_errors=True)
    os.replace(building, root)


def touched_partitions(written: Sequence[Path]) -> tuple[frozenset[tuple[str, date]], frozenset[tuple[str, date]]]:
    """The (area, day) and (area, month) partitions of the current-state files a run wrote, from their folders."""
    days: set[tuple[str, date]] = set()
    months: set[tuple[str, date]] = set()
    for path in written:
        key, _, value = path.parent.name.partition("=")
        area = path.parent.parent.name.partition("=")[2]
        if key == "usage_date":
            days.add((area, date.fromisoformat(value)))
        elif key == "month":
            months.add((area, date.fromisoformat(f"{value}-01")))
    return frozenset(days), frozenset(months)
