"""Validate one BP file without loading it: name, encoding, XSD, values, duplicate keys.

Used by ``takuso validate``; the ingest step does the same with the rows it stages
(:func:`find_duplicates` on its staged Parquet).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from parsers.bp_xml.engine import ParseOutcome, Sink, parse_bp_file
from parsers.bp_xml.filename import FileNameError, parse_bp_filename
from parsers.bp_xml.problems import Problem, Rule


def interval_key(kind_bp_id: str) -> tuple[str, ...]:
    """The key that must be unique within one file (R4): point and slot, per day and split code."""
    if kind_bp_id == "W4":
        return ("supply_point_id", "usage_date", "slot")
    return ("supply_point_id", "split_code", "usage_date", "slot")


def ascending_order(kind_bp_id: str) -> tuple[str, ...]:
    """The key columns in the order a file lists its rows: slot records then points (W4), points then days
    then slots (W5)."""
    if kind_bp_id == "W4":
        return ("usage_date", "slot", "supply_point_id")
    return ("supply_point_id", "split_code", "usage_date", "slot")


class AscendingKeys:
    """Whether a file's keys, in the order its rows come, are strictly ascending (R4): then no key can
    occur twice and the duplicate check is not needed. TSOs list points in order, so this is the common
    case; when it is not so, :func:`find_duplicates` decides. Arrow compute, two rows at a time."""

    def __init__(self, order: tuple[str, ...]) -> None:
        self.order = order
        self.ascending = True
        self._last: list[pa.Array] | None = None

    def add(self, table: pa.Table) -> None:
        if not self.ascending or not table.num_rows:
            return
        cols = [table[c].combine_chunks() for c in self.order]
        if self._last is not None:
            cols = [pa.concat_arrays([last, col]) for last, col in zip(self._last, cols, strict=True)]
        n = len(cols[0])
        ahead = pc.less(cols[-1].slice(0, n - 1), cols[-1].slice(1))
        for col in reversed(cols[:-1]):
            before, after = col.slice(0, n - 1), col.slice(1)
            ahead = pc.or_kleene(pc.less(before, after), pc.and_kleene(pc.equal(before, after), ahead))
        if not pc.all(pc.fill_null(ahead, False)).as_py():
            self.ascending = False
        self._last = [col.slice(n - 1) for col in cols]


class KeySpool(Sink):
    """A sink that spools only the key columns to a Parquet file, for :func:`find_duplicates`."""

    def __init__(self, path: Path, keys: tuple[str, ...]) -> None:
        self.path, self.keys = path, keys
        self._writer: pq.ParquetWriter | None = None

    def interval(self, table: pa.Table) -> None:
        keys = table.select(list(self.keys))
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, keys.schema, compression="zstd")
        self._writer.write_table(keys)

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.path.unlink(missing_ok=True)

    def close(self) -> Path | None:
        if self._writer is None:
            return None
        self._writer.close()
        return self.path


def find_duplicates(parquet: Path | list[Path] | None, keys: tuple[str, ...], limit: int = 5) -> list[dict]:
    """Keys that occur more than once in ``parquet`` (one file, or the parts of one) (R4). DuckDB spills to
    disk, so memory stays bounded however many values the file holds."""
    files = [str(p) for p in (parquet if isinstance(parquet, list) else [parquet]) if p is not None and p.exists()]
    if not files:
        return []
    cols = ", ".join(keys)
    with duckdb.connect() as con:
        con.execute(f"SET memory_limit = '{DUPLICATE_CHECK_MEMORY}'")
        con.execute("SET threads = 1")
        rows = con.execute(
            f"SELECT {cols}, count(*) AS n FROM read_parquet(?) GROUP BY ALL HAVING count(*) > 1 LIMIT {limit}",
            [files],
        ).fetchall()
    return [dict(zip((*keys, "count_all"), r, strict=True)) for r in rows]


DUPLICATE_CHECK_MEMORY = "64MB"


def duplicate_problem(rows: list[dict]) -> Problem:
    shown = "; ".join(", ".join(f"{k}={v}" for k, v in r.items() if k != "count_all") for r in rows)
    return Problem(Rule.DUPLICATE_KEY, f"duplicate keys in one file (same point and slot twice): {shown}")


def validate_bp_file(path: Path, area_code: str | None = None) -> ParseOutcome | Problem:
    """Validate ``path``; a file-name problem comes back alone as a :class:`Problem`."""
    try:
        name = parse_bp_filename(path.name)
    except FileNameError as exc:
        return Problem(Rule.NOT_BP_NAME, str(exc))
    keys = interval_key(name.kind.bp_id)
    with tempfile.TemporaryDirectory(prefix="takuso-validate-") as tmp:
        spool = KeySpool(Path(tmp) / "keys.parquet", keys)
        outcome = parse_bp_file(path, name, area_code=area_code, sink=spool)
        spooled = spool.close()
        if outcome.ok:
            dups = find_duplicates(spooled, keys)
            if dups:
                outcome.errors.append(duplicate_problem(dups))
    return outcome
