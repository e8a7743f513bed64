"""A new day the run's files make on their own: their rows are the current file, one file's by a hard link.

Typical nights bring one 日毎 per-day file (30分電力量) per area and day, and the first 当日 current-day
file of a day: the day has no current file yet and the run no other record of it. When no key (point,
slot) occurs twice among the day's files, the rules of :mod:`warehouse.views` keep every row, so the
day's current file is exactly those rows, in the current file's columns and row order
(:func:`current_form`): no window, no DuckDB pass. Made by one file, that file's history Parquet is
written in that form and the day's current file is a hard link (ハードリンク) to it: no second copy on
disk. The history dataset reads the same file projected to its own columns, so every history view gives
the same rows.

The history file and the current file are then two names of one inode. Nothing ever writes into a stored
file (a new version is a new file renamed into place), so removing the current name (a later run's
prune) leaves the history name and its bytes untouched. Where the file system refuses a hard link the
file is copied.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.files import atomic_target, copy_atomic, fsync_dir

SLOTS = range(1, 49)  # 30分コマ 1..48 of a day (JST has no daylight saving time)
MAX_ROWS = 2_000_000
"""A day's files are put in the current form in memory (about 150 bytes a row at the peak): a bigger day
(over 40,000 points) takes the rules instead, whose memory is bounded (DuckDB spills to disk)."""


@dataclass(frozen=True)
class Span:
    """The days one history file's 30-minute rows cover, from its statistics (no row is read)."""

    path: Path
    area: str
    first: date | None  # None: unknown (no statistics), so the file may touch any day of its area
    last: date | None
    rows: int = 0

    @property
    def one_day(self) -> date | None:
        return self.first if self.first is not None and self.first == self.last else None

    def touches(self, area: str, day: date) -> bool:
        if area != self.area:
            return False
        return self.first is None or self.last is None or self.first <= day <= self.last


def area_of_folder(path: Path) -> str:
    """``…/area_code=03/usage_month=2024-04/<file_id>.parquet`` → ``03``."""
    return path.parent.parent.name.split("=", 1)[1]


def span_of(path: Path) -> Span:
    """The first and last ``usage_date`` of a file's rows, from its row-group statistics."""
    meta = pq.ParquetFile(path).metadata
    first: date | None = None
    last: date | None = None
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    if "usage_date" not in names or meta.num_row_groups == 0:
        return Span(path, area_of_folder(path), None, None, meta.num_rows)
    column = names.index("usage_date")
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(column).statistics
        if stats is None or not stats.has_min_max or stats.null_count:
            return Span(path, area_of_folder(path), None, None, meta.num_rows)
        first = stats.min if first is None else min(first, stats.min)
        last = stats.max if last is None else max(last, stats.max)
    return Span(path, area_of_folder(path), first, last, meta.num_rows)


Day = tuple[str, date]  # (area code, usage date): a partition of the 30-minute current state


def fresh_days(candidates: Iterable[Span], others: Sequence[Span], taken: set[Day]) -> dict[Day, list[Path]]:
    """Days the run's preliminary files (``candidates``) make on their own, and their files.

    A day qualifies when it has no current file yet (``taken``: the partitions that have one), every
    file touching it is a candidate of that one day (no file of several or unknown days, none of
    ``others``: the run's confirmed 30-minute files) and its files hold at most :data:`MAX_ROWS` rows.
    """
    groups: dict[Day, list[Span]] = {}
    spread = list(others)
    for span in candidates:
        day = span.one_day
        if day is None:
            spread.append(span)
        else:
            groups.setdefault((span.area, day), []).append(span)
    return {
        key: [s.path for s in members]
        for key, members in groups.items()
        if key not in taken and sum(s.rows for s in members) <= MAX_ROWS and not any(s.touches(*key) for s in spread)
    }


def current_form(parts: Sequence[tuple[pa.Table, pa.Table]], schema: pa.Schema, sort: Sequence[str]) -> pa.Table | None:
    """The rows of one day's files as the day's current file: ``schema``'s columns, sorted by ``sort``.

    Each part is a file's rows and its ``per_slot`` rows: the history view's row of that file for every
    slot 1..48 (the file's attributes, and what derives from the day and slot: the slot's start time).
    The files' own columns come from their rows. None when a key repeats (then the rules must decide
    which row wins) or a slot is out of range.
    """
    tables = [t.append_column(_PART, pa.repeat(pa.scalar(n, pa.int32()), t.num_rows)) for n, (t, _) in enumerate(parts)]
    table = pa.concat_tables(tables, promote_options="permissive").combine_chunks()
    keys = [c for c in sort if c in table.column_names]  # the others are constant within one file
    table = table.take(pc.sort_indices(table, [(c, "ascending") for c in keys]))
    slot = table["slot"]
    if table.num_rows == 0 or slot.null_count:
        return None
    low, high = pc.min_max(slot).values()
    if low.as_py() < SLOTS[0] or high.as_py() > SLOTS[-1]:
        return None
    if table.num_rows > 1:
        same = None
        for c in keys:
            column = table[c]
            equal = pc.equal(column.slice(1), column.slice(0, table.num_rows - 1))
            same = equal if same is None else pc.and_(same, equal)
        if same is not None and pc.any(same).as_py():
            return None
    per_slot = pa.concat_tables([p for _, p in parts]).combine_chunks()
    at = pc.add(pc.multiply(table[_PART], len(SLOTS)), pc.subtract(slot.cast(pa.int32()), SLOTS[0])).combine_chunks()
    columns = [
        table[f.name].cast(f.type)  # the files' own values
        if f.name in table.column_names and f.name != "area_code"
        else _spread(per_slot[f.name], at, f.type)
        for f in schema
    ]
    # a column without NULLs is stored as required (no definition levels): DuckDB scans it faster
    fields = [pa.field(f.name, c.type, nullable=c.null_count > 0) for f, c in zip(schema, columns, strict=True)]
    return pa.table(columns, schema=pa.schema(fields))


_PART = "__part"  # which of the day's files a row comes from


def _spread(values: pa.ChunkedArray, at: pa.Array, type_: pa.DataType) -> pa.Array:
    """``values`` (one per file and slot) at every row's file and slot, without copying text per row:
    one value as a repeat, text as a dictionary (stored as the plain text column it is)."""
    column = values.combine_chunks()
    if len(column.unique()) == 1:
        return _repeat(column.slice(0, 1), len(at))
    if pa.types.is_string(column.type):
        encoded = column.dictionary_encode()
        return pa.DictionaryArray.from_arrays(encoded.indices.take(at), encoded.dictionary)
    return column.take(at).cast(type_)


def _repeat(one: pa.Array, rows: int) -> pa.Array:
    """``one`` value ``rows`` times: text as a one-entry dictionary, other types repeated."""
    if one.null_count:
        return pa.nulls(rows, one.type)
    if pa.types.is_string(one.type):
        return pa.DictionaryArray.from_arrays(pa.repeat(pa.scalar(0, pa.int32()), rows), one)
    return pa.repeat(one[0], rows)


def write_in_place(path: Path, table: pa.Table, options: Mapping[str, object], row_group_rows: int) -> None:
    """Replace the file at ``path`` by ``table`` (temporary name, fsync, rename: never half written)."""
    with atomic_target(path) as fh:  # no Arrow schema: readers see plain columns, as in a file DuckDB writes
        pq.write_table(
            table, fh, row_group_size=row_group_rows, max_rows_per_page=row_group_rows, store_schema=False, **options
        )  # one page per column and row group: DuckDB scans fewer, bigger pages faster


def link_or_copy(source: Path, target: Path) -> bool:
    """``target`` as a second name of ``source`` (True), or a copy where no hard link can be made (False)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        copy_atomic(source, target)
        return False
    fsync_dir(target.parent)
    return True
