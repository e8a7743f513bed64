"""From CSV rows to records of canonical columns (正規化レコード), unpivoting wide layouts (§6.5).

A record holds the normalized text of each canonical column (``None`` = NULL), the source line, the
header each value came from (for messages) and the unknown columns for ``extra``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from parsers.csv_forms.aliases import FormSpec
from parsers.csv_forms.header import HeaderMap
from parsers.csv_forms.normalize import normalize_value
from parsers.csv_forms.rows import Row


@dataclass(frozen=True)
class Record:
    """One output row before typing: canonical column → normalized text (or NULL)."""

    line: int
    values: dict[str, str | None]
    headers: dict[str, str]  # canonical column → original header text
    extra: dict[str, str] | None


def _cell(row: Row, i: int) -> str:
    return row.cells[i] if i < len(row.cells) else ""


def _extra(header: HeaderMap, row: Row) -> dict[str, str] | None:
    out = {}
    for i, name in header.extra.items():
        raw = _cell(row, i).strip()
        if raw:
            out[name] = raw
    return out or None


def to_records(spec: FormSpec, header: HeaderMap, rows: Sequence[Row]) -> Iterator[Record]:
    """Yield the records of the data rows below ``header``; a wide row gives one record per group n.

    Long layout: one record per row. Slot layout (Form 1): one record per slot column, the slot number
    in ``index_column``. Group layout (Form 2): one record per group n that has any value.
    """
    plain_headers = {column: header.cells[i].strip() for i, column in header.plain.items()}
    for row in rows:
        if row.line <= header.line:
            continue
        base = {column: normalize_value(_cell(row, i)) for i, column in header.plain.items()}
        extra = _extra(header, row)
        if not header.is_wide:
            yield Record(row.line, base, plain_headers, extra)
            continue
        groups: dict[int, dict[str, str | None]] = {}
        group_headers: dict[int, dict[str, str]] = {}
        for i, w in header.wide.items():
            groups.setdefault(w.n, {})[w.column] = normalize_value(_cell(row, i))
            group_headers.setdefault(w.n, {})[w.column] = header.cells[i].strip()
        index_column = spec.wide.index_column if spec.wide else None
        for n in sorted(groups):
            group = groups[n]
            if index_column is None and all(v is None for v in group.values()):
                continue  # an unused (年月, kW) pair
            values = dict(base)
            values.update(group)
            headers = dict(plain_headers)
            headers.update(group_headers[n])
            if index_column:
                values[index_column] = str(n)
                headers[index_column] = group_headers[n][next(iter(group_headers[n]))]
            yield Record(row.line, values, headers, extra)
