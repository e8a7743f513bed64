"""Finding and resolving the header row (見出し行), csv-forms.md §6.4 and §6.5.

The header row is the first row, within the first ``header_search_lines`` lines, in which all required
columns resolve, directly through an alias or through a wide (repeated) column pattern.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from parsers.csv_forms.aliases import FormSpec
from parsers.csv_forms.normalize import normalize_header, parse_time_minutes
from parsers.csv_forms.rows import Row

SLOTS_PER_DAY = 48  # JST has no daylight saving time: always 48 thirty-minute slots (コマ)


@dataclass(frozen=True)
class WideColumn:
    """A repeated column: its canonical column and group number n (slot number for Form 1)."""

    column: str
    n: int


@dataclass(frozen=True)
class HeaderMap:
    """How each header position maps: to a canonical column, a wide column, or ``extra``."""

    line: int
    cells: tuple[str, ...]
    plain: dict[int, str]
    wide: dict[int, WideColumn]
    extra: dict[int, str]  # position → original header text

    @property
    def is_wide(self) -> bool:
        return bool(self.wide)


def match_wide(spec: FormSpec, header_key: str) -> WideColumn | None:
    """Match one normalized header against the form's wide patterns; ``None`` when none matches.

    A pattern with groups ``h`` and ``m`` (start time) gives slot = (h·60 + m)/30 + 1; ``n`` is taken
    as is. A start time that is not on a half-hour boundary does not match.
    """
    if spec.wide is None:
        return None
    for column, patterns in spec.wide.columns.items():
        for pattern in patterns:
            m = pattern.fullmatch(header_key)
            if not m:
                continue
            groups = m.groupdict()
            if groups.get("n") is not None:
                return WideColumn(column, int(groups["n"]))
            if groups.get("h") is not None and groups.get("m") is not None:
                try:
                    minutes = parse_time_minutes(f"{groups['h']}:{groups['m']}")
                except ValueError:
                    continue
                if minutes % 30:
                    continue
                return WideColumn(column, minutes // 30 + 1)
    return None


def resolve(spec: FormSpec, row: Row) -> HeaderMap:
    """Map every cell of ``row`` (a header candidate) to a canonical column, a wide column or extra."""
    plain: dict[int, str] = {}
    wide: dict[int, WideColumn] = {}
    extra: dict[int, str] = {}
    for i, cell in enumerate(row.cells):
        key = normalize_header(cell)
        if key in spec.lookup:
            plain[i] = spec.lookup[key]
            continue
        w = match_wide(spec, key) if key else None
        if w is not None:
            wide[i] = w
        else:
            extra[i] = cell.strip() or f"(column {i + 1})"
    return HeaderMap(row.line, row.cells, plain, wide, extra)


def missing_required(spec: FormSpec, header: HeaderMap) -> list[str]:
    """Required canonical columns that ``header`` does not resolve (wide columns count, §6.5)."""
    present = set(header.plain.values())
    if header.is_wide and spec.wide is not None:
        present |= spec.wide.provides
    return [c for c in spec.required if c not in present]


def find_header(spec: FormSpec, rows: Sequence[Row]) -> tuple[HeaderMap | None, HeaderMap | None]:
    """Return ``(header, best_candidate)``: the header row if found, else the candidate that resolved
    the most required columns (for the CSV001 message)."""
    best: HeaderMap | None = None
    best_missing = len(spec.required) + 1
    for row in rows:
        if row.line > spec.header_search_lines:
            break
        candidate = resolve(spec, row)
        missing = missing_required(spec, candidate)
        if not missing:
            return candidate, candidate
        if len(missing) < best_missing:
            best, best_missing = candidate, len(missing)
    return None, best


def duplicate_columns(spec: FormSpec, header: HeaderMap) -> list[tuple[str, list[int]]]:
    """Canonical columns claimed by more than one header (CSV002): plain twice, wide (column, n) twice,
    or a column present both plain and as a wide group (or as the wide index column)."""
    positions: dict[str, list[int]] = {}
    for i, column in header.plain.items():
        positions.setdefault(column, []).append(i)
    wide_positions: dict[tuple[str, int], list[int]] = {}
    for i, w in header.wide.items():
        wide_positions.setdefault((w.column, w.n), []).append(i)
    out = [(c, p) for c, p in positions.items() if len(p) > 1]
    out += [(f"{c}[{n}]", p) for (c, n), p in wide_positions.items() if len(p) > 1]
    wide_cols = {w.column for w in header.wide.values()}
    if wide_cols and spec.wide is not None and spec.wide.index_column:
        wide_cols.add(spec.wide.index_column)
    for column in sorted(wide_cols & set(positions)):
        first_wide = [i for i in sorted(header.wide)][:1]
        out.append((column, positions[column] + first_wide))
    return out
