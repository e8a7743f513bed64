"""Validation rules (検証ルール) with source line numbers, csv-forms.md §6.7.

Two steps, both collecting every problem into a :class:`ProblemLog` rather than stopping at the first:

* :func:`type_records` converts each record's text to typed values (ids, dates, numbers, slots, value
  maps, the area prefix of point ids, required values);
* :func:`check_rows` applies the file-level rules (duplicate keys, per-point agreement, check totals,
  the look-back window, start ≤ end).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

from parsers.csv_forms.aliases import FormSpec
from parsers.csv_forms.convert import convert
from parsers.csv_forms.normalize import ValueParseError
from parsers.csv_forms.problems import ProblemLog, Rule
from parsers.csv_forms.records import Record

# 制限中止割引: 4% of the PF-adjusted basic charge per counted day. ASSUMED (csv-forms.md §5: the rule while
# the discount applied, from a retailer tariff copying the TSO rule); used only when a file has no 割引率.
DISCOUNT_RATE_PER_DAY = Decimal("0.04")


@dataclass
class TypedRow:
    """A typed output row: canonical column → value, plus provenance."""

    line: int
    values: dict[str, Any]
    extra: dict[str, str] | None


@dataclass
class UnmappedTracker:
    """First line and count of each coded value missing from a value map (CSV032)."""

    seen: dict[tuple[str, str], tuple[int, int, int]]  # (first line, last line, rows)

    def add(self, column: str, value: str, line: int) -> None:
        first, last, count = self.seen.get((column, value), (line, 0, 0))
        if line != last:  # a wide row repeats its cells on every unpivoted record: count it once
            count += 1
        self.seen[(column, value)] = (first, line, count)


# types whose values repeat on many rows (ids, dates, codes): converted once per distinct text per file
_CACHED_TYPES = frozenset({"point_id", "string", "date", "month", "slot", "timestamp", "days", "items"})


def type_records(
    spec: FormSpec, records: Iterable[Record], area_code: str | None, log: ProblemLog, present: frozenset[str]
) -> list[TypedRow]:
    """Convert records to typed rows; every bad value is reported with its line and column. Point ids
    must carry the prefix of ``area_code`` (CSV011), unless it is None (the area is not known yet)."""
    rows: list[TypedRow] = []
    unmapped = UnmappedTracker({})
    cache: dict[tuple[str, str], Any] = {}
    for record in records:
        values: dict[str, Any] = {}
        for column, text in record.values.items():
            values[column] = _typed_value(spec, column, text, record, area_code, log, unmapped, cache)
        for column in spec.not_null:
            if column in present and values.get(column) is None and record.values.get(column) is None:
                log.error(
                    Rule.MISSING_VALUE,
                    record.line,
                    column,
                    f"{column} ({record.headers.get(column, column)}) is empty; a value is required",
                )
        rows.append(TypedRow(record.line, values, record.extra))
    for (column, value), (line, _, count) in unmapped.seen.items():
        log.warn(
            Rule.UNMAPPED_VALUE,
            line,
            column,
            f"{column} value {value!r} is not in the value map ({count} rows); kept as received — add it to "
            f"[forms.{spec.form_id}.values.{column}]",
        )
    return rows


def _typed_value(
    spec: FormSpec,
    column: str,
    text: str | None,
    record: Record,
    area_code: str | None,
    log: ProblemLog,
    unmapped: UnmappedTracker,
    cache: dict[tuple[str, str], Any],
) -> Any:
    value_map = spec.values.get(column)
    if value_map is not None:
        key = text or ""
        if key in value_map:
            return value_map[key]
        if text is not None:
            unmapped.add(column, text, record.line)
    if text is None:
        return None
    if (column, text) in cache:
        return cache[(column, text)]
    type_name = spec.types[column]
    try:
        value = convert(type_name, text)
    except ValueParseError as e:
        header = record.headers.get(column, column)
        log.error(e.rule, record.line, column, f"{e} in column {header!r}")
        return None
    if type_name == "point_id" and isinstance(value, str) and area_code is not None and value[:2] != area_code:
        log.error(
            Rule.AREA_MISMATCH,
            record.line,
            column,
            f"{column} {value} has area prefix {value[:2]} but the file came from area {area_code}; "
            "was the file saved under the wrong TSO?",
        )
    elif type_name in _CACHED_TYPES:
        cache[(column, text)] = value
    return value


def derive_columns(spec: FormSpec, rows: list[TypedRow], present: frozenset[str]) -> None:
    """Fill derived columns in place: Form 1 ``target_month`` from ``usage_date`` when the file has no
    such column; Form 3 ``discount_rate`` = 0.04 × ``discount_days`` when the file has no 割引率."""
    month_col, from_col = spec.month_column, spec.month_from_date
    derive_month = month_col is not None and from_col is not None and month_col not in present
    derive_rate = "discount_rate" in spec.types and "discount_days" in spec.types and "discount_rate" not in present
    for row in rows:
        v = row.values
        if derive_month and isinstance(v.get(from_col or ""), date):
            v[month_col or ""] = v[from_col or ""].replace(day=1)
        if derive_rate:
            days = v.get("discount_days")
            v["discount_rate"] = None if days is None else DISCOUNT_RATE_PER_DAY * days


def check_rows(spec: FormSpec, rows: list[TypedRow], log: ProblemLog) -> None:
    """File-level rules over all typed rows."""
    _check_duplicate_keys(spec, rows, log)
    _check_per_point(spec, rows, log)
    _check_totals(spec, rows, log)
    _check_window(spec, rows, log)
    _check_ordered(spec, rows, log)
    _check_periods(spec, rows, log)


def _fmt(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _check_duplicate_keys(spec: FormSpec, rows: list[TypedRow], log: ProblemLog) -> None:
    if not spec.key:
        return
    first_line: dict[tuple[Any, ...], int] = {}
    for row in rows:
        key = tuple(row.values.get(c) for c in spec.key)
        if any(row.values.get(c) is None for c in spec.not_null if c in spec.key):
            continue  # already reported as a missing value
        if key in first_line:
            shown = ", ".join(f"{c}={_fmt(v)}" for c, v in zip(spec.key, key, strict=True))
            log.error(
                Rule.DUPLICATE_KEY,
                row.line,
                None,
                f"duplicate key ({shown}); first seen at line {first_line[key]}",
            )
        else:
            first_line[key] = row.line


def _check_per_point(spec: FormSpec, rows: list[TypedRow], log: ProblemLog) -> None:
    if not spec.per_point_key:
        return
    seen: dict[tuple[tuple[Any, ...], str], tuple[Any, int]] = {}
    reported: set[tuple[tuple[Any, ...], str]] = set()
    for row in rows:
        point = tuple(row.values.get(c) for c in spec.per_point_key)
        for column in spec.per_point_columns:
            value = row.values.get(column)
            if value is None:
                continue
            first = seen.setdefault((point, column), (value, row.line))
            if first[0] != value and (point, column) not in reported:
                reported.add((point, column))
                shown = ", ".join(_fmt(p) for p in point)
                log.error(
                    Rule.POINT_DISAGREES,
                    row.line,
                    column,
                    f"{column} is {_fmt(value)} here but {_fmt(first[0])} at line {first[1]} for the same "
                    f"point ({shown}); per-point values must agree",
                )


def _check_totals(spec: FormSpec, rows: list[TypedRow], log: ProblemLog) -> None:
    for check in spec.check_totals:
        sums: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
        declared: dict[tuple[Any, ...], dict[Decimal, int]] = defaultdict(dict)
        for row in rows:
            group = tuple(row.values.get(c) for c in check.per)
            amount = row.values.get(check.sum)
            if amount is not None:
                sums[group] += amount
            total = row.values.get(check.column)
            if total is not None:
                declared[group].setdefault(total, row.line)
        for group, totals in declared.items():
            for total, line in totals.items():
                diff = total - sums[group]
                if abs(diff) > check.tolerance:
                    shown = ", ".join(_fmt(g) for g in group if g is not None)
                    log.warn(
                        Rule.CHECK_TOTAL,
                        line,
                        check.column,
                        f"{check.column} {total} differs from the sum of {check.sum} {sums[group]} by {diff} ({shown})",
                    )


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _check_window(spec: FormSpec, rows: list[TypedRow], log: ProblemLog) -> None:
    if spec.window is None:
        return
    column, anchor, months = spec.window
    for row in rows:
        value, base = row.values.get(column), row.values.get(anchor)
        if isinstance(value, date) and isinstance(base, date) and not 0 <= _months_between(value, base) < months:
            log.warn(
                Rule.LOOKBACK_OUTSIDE,
                row.line,
                column,
                f"{column} {value:%Y-%m} is not within the {months} months ending {anchor} {base:%Y-%m}",
            )


def _check_ordered(spec: FormSpec, rows: list[TypedRow], log: ProblemLog) -> None:
    for start_col, end_col in spec.ordered:
        for row in rows:
            start, end = row.values.get(start_col), row.values.get(end_col)
            if start is not None and end is not None and end < start:
                log.error(
                    Rule.PERIOD_REVERSED,
                    row.line,
                    end_col,
                    f"{end_col} {_fmt(end)} is before {start_col} {_fmt(start)}",
                )


def _check_periods(spec: FormSpec, rows: list[TypedRow], log: ProblemLog) -> None:
    """Rows of one key may not cover the same day twice (CSV025): an empty end is open-ended."""
    for key_columns, start_col, end_col in spec.periods:
        by_key: dict[tuple[Any, ...], list[TypedRow]] = defaultdict(list)
        for row in rows:
            if isinstance(row.values.get(start_col), date):
                by_key[tuple(row.values.get(c) for c in key_columns)].append(row)
        for key, members in by_key.items():
            members.sort(key=lambda r: r.values[start_col])
            for earlier, later in pairwise(members):
                end = earlier.values.get(end_col)
                if end is None or end >= later.values[start_col]:
                    shown = ", ".join(_fmt(k) for k in key)
                    log.error(
                        Rule.PERIODS_OVERLAP,
                        later.line,
                        start_col,
                        f"{start_col} {_fmt(later.values[start_col])} falls inside the period of line {earlier.line} "
                        f"({_fmt(earlier.values[start_col])}..{_fmt(end) if end else 'open'}) for {shown}; "
                        f"end the earlier period (set {end_col}) or remove one row",
                    )
