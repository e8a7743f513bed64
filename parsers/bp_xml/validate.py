"""Validate one BP file without loading it: name, encoding, XSD, values, duplicate keys.

Used by ``takuso validate`` and by the ingest step (which keeps the rows instead of counting them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from parsers.bp_xml.engine import ParseOutcome, Sink, parse_bp_file
from parsers.bp_xml.filename import FileNameError, parse_bp_filename
from parsers.bp_xml.problems import Problem


def interval_key(kind_bp_id: str) -> tuple[str, ...]:
    """The key that must be unique within one file (R4): point and slot, per day and split code."""
    if kind_bp_id == "W4":
        return ("supply_point_id", "usage_date", "slot")
    return ("supply_point_id", "split_code", "usage_date", "slot")


@dataclass
class KeyCounter(Sink):
    """A sink that keeps only the key columns, to find duplicate keys after the parse.

    The key columns of a file are small next to the file (a few bytes per value, dictionary-encoded ids),
    so they can be held; the values themselves are not.
    """

    keys: tuple[str, ...]
    parts: list[pa.Table] = field(default_factory=list)

    def interval(self, table: pa.Table) -> None:
        self.parts.append(table.select(list(self.keys)))

    def duplicates(self, limit: int = 5) -> list[dict]:
        if not self.parts:
            return []
        table = pa.concat_tables(self.parts)
        counts = table.group_by(list(self.keys)).aggregate([([], "count_all")])
        dup = counts.filter(pc.greater(counts["count_all"], 1))
        return dup.slice(0, limit).to_pylist()


def duplicate_problem(rows: list[dict]) -> Problem:
    shown = "; ".join(", ".join(f"{k}={v}" for k, v in r.items() if k != "count_all") for r in rows)
    return Problem("BP010", f"duplicate keys in one file (same point and slot twice): {shown}")


def validate_bp_file(path: Path, area_code: str | None = None) -> ParseOutcome | Problem:
    """Validate ``path``; a file-name problem comes back alone as a :class:`Problem`."""
    try:
        name = parse_bp_filename(path.name)
    except FileNameError as exc:
        return Problem("BP001", str(exc))
    counter = KeyCounter(interval_key(name.kind.bp_id))
    outcome = parse_bp_file(path, name, area_code=area_code, sink=counter)
    if outcome.ok:
        dups = counter.duplicates()
        if dups:
            outcome.errors.append(duplicate_problem(dups))
    return outcome
