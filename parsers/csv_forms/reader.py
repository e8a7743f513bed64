"""Reading one CSV form file (帳票CSVの読込): the public entry point :func:`read_form`.

decode (§6.2) → rows (§6.3) → header (§6.4) → records, unpivoting wide layouts (§6.5) → typed values
(§6.6) → file rules (§6.7) → Arrow table. Every problem is collected; any error rejects the file
(``table`` is ``None``). Nothing is written anywhere: loading is the warehouse's job.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from parsers.csv_forms.aliases import FormSpec, all_form_ids, form_spec, load_config
from parsers.csv_forms.detect import detect_by_header, detect_by_name, month_from_name
from parsers.csv_forms.encoding import Decoded, EncodingDetectionError, decode_bytes
from parsers.csv_forms.header import HeaderMap, duplicate_columns, find_header, missing_required
from parsers.csv_forms.normalize import find_created_at, find_month
from parsers.csv_forms.parquet import PARQUET, is_parquet, parquet_as_csv_text
from parsers.csv_forms.problems import Problem, ProblemLog, Rule
from parsers.csv_forms.records import to_records
from parsers.csv_forms.rows import MalformedCsvError, Row, iter_rows, physical_lines
from parsers.csv_forms.table import build_table
from parsers.csv_forms.validate import TypedRow, check_rows, derive_columns, type_records

_MAX_TITLE_CELLS = 2  # a header-less Form 3 may still hold title lines of at most this many cells


@dataclass(frozen=True)
class FormResult:
    """The outcome of reading one form file (読込結果).

    ``table`` is ``None`` when there is any error; ``layout`` is ``'wide'`` (横持ち) or ``'long'``
    (縦持ち); ``target_month`` (対象年月) is the first day of the file's month or ``None``;
    ``preamble`` holds the lines above the header (title, TSO name …) joined with ``\\n``;
    ``area_code`` is the area read for (given, or the prefix its point ids share); ``created_at`` is
    when the portal made the file (作成日時 in the preamble, JST), if the file says.
    """

    form_id: str | None
    table: pa.Table | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    encoding: str | None = None
    preamble: str = ""
    layout: str = "long"
    target_month: date | None = None
    area_code: str | None = None
    created_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def read_form(
    path: Path,
    area_code: str | None,
    *,
    form_id: str | None = None,
    aliases_file: Path | None = None,
    encoding: str | None = None,
) -> FormResult:
    """Read one CSV form downloaded from the TSO of ``area_code`` ('01'..'10'), or a ``.parquet`` file
    of the same layout (the retailer's contract register, for example; ``parsers/csv_forms/parquet.py``).

    Without an area (None) the file's point ids say it: they must all carry one area's prefix (CSV011);
    ``FormResult.area_code`` is that area, or None when the file has no point id (a header-only form).

    ``form_id`` skips detection; ``aliases_file`` is a user alias map merged over the built-in one;
    ``encoding`` forces an encoding instead of detecting it.
    """
    path = Path(path)
    config = load_config(aliases_file)
    log = ProblemLog(path.name)
    parquet = is_parquet(path)
    data = b"" if parquet else path.read_bytes()

    forced = encoding
    if form_id is not None:
        if form_id not in all_form_ids(config):
            log.error(
                Rule.UNKNOWN_FORM,
                None,
                None,
                f"unknown form {form_id!r}; known: {', '.join(all_form_ids(config))}",
            )
            return _rejected(None, log)
        forced = forced or form_spec(form_id, area_code, config).encoding
    try:
        decoded = Decoded(parquet_as_csv_text(path), PARQUET) if parquet else decode_bytes(data, forced)
    except EncodingDetectionError as e:
        log.error(Rule.UNDECODABLE, None, None, str(e))
        return _rejected(form_id, log)
    except (OSError, pa.ArrowException) as e:
        log.error(Rule.UNDECODABLE, None, None, f"not a readable Parquet file: {e}")
        return _rejected(form_id, log)

    specs = {f: form_spec(f, area_code, config) for f in all_form_ids(config)}
    if form_id is None:
        probe = specs[next(iter(specs))]
        try:
            probe_rows = list(iter_rows(decoded.text, delimiter=probe.delimiter, quotechar=probe.quotechar))
        except MalformedCsvError:
            probe_rows = []
        by_header = detect_by_header(list(specs.values()), probe_rows)
        by_name = detect_by_name(list(specs.values()), path.name)
        if by_header and by_name and by_header != by_name:
            log.error(
                Rule.FORM_NOT_DETECTED,
                None,
                None,
                f"the file name suggests {by_name} but the header resolves {by_header}; "
                "pass form_id to say which form this is",
            )
            return _rejected(None, log, encoding=decoded.encoding)
        form_id = by_header or by_name
        if form_id is None:
            first = probe_rows[0].cells if probe_rows else ()
            log.error(
                Rule.FORM_NOT_DETECTED,
                None,
                None,
                f"no form's required columns found in the first lines and the file name matches no pattern; "
                f"first row seen: {list(first)}; pass form_id or add aliases",
            )
            return _rejected(None, log, encoding=decoded.encoding)
        if specs[form_id].encoding and not encoding and not parquet and specs[form_id].encoding != decoded.encoding:
            decoded = decode_bytes(data, specs[form_id].encoding)
    spec = specs[form_id]
    log.cap = spec.max_problems_per_rule
    return _read_text(spec, decoded.text, decoded.encoding, area_code, path.name, log)


def _rejected(form_id: str | None, log: ProblemLog, **kwargs: Any) -> FormResult:
    log.finish()
    return FormResult(form_id, None, log.errors, log.warnings, **kwargs)


def _read_text(
    spec: FormSpec, text: str, encoding: str, area_code: str | None, file_name: str, log: ProblemLog
) -> FormResult:
    try:
        rows = list(iter_rows(text, delimiter=spec.delimiter, quotechar=spec.quotechar))
    except MalformedCsvError as e:
        log.error(Rule.MALFORMED_CSV, e.line, None, f"{e}")
        return _rejected(spec.form_id, log, encoding=encoding)

    header, best = find_header(spec, rows)
    if header is None:
        if spec.empty_without_header and all(_filled(r) <= _MAX_TITLE_CELLS for r in rows):
            preamble = "\n".join(physical_lines(text, rows[-1].line)) if rows else ""
            log.warn(Rule.NO_HEADER_EMPTY, None, None, "no header row and no tabular data; read as an empty form")
            log.finish()
            return FormResult(
                spec.form_id,
                build_table(spec, [], area_code),
                log.errors,
                log.warnings,
                encoding,
                preamble,
                "long",
                _preamble_month(preamble) or month_from_name(spec, file_name),
                area_code,
                find_created_at(preamble),
            )
        _report_missing(spec, best, file_name, log)
        return _rejected(spec.form_id, log, encoding=encoding)

    preamble = "\n".join(physical_lines(text, header.line - 1))
    header = _check_header(spec, header, log)
    _check_row_widths(header, rows, log)
    present = _present_columns(spec, header)
    records = to_records(spec, header, rows)
    typed = type_records(spec, records, area_code, log, present)
    if area_code is None:
        area_code = _area_of_points(spec, typed, log)
    derive_columns(spec, typed, present)
    check_rows(spec, typed, log)
    log.finish()
    layout = "wide" if header.is_wide else "long"
    month = _target_month(spec, typed) or _preamble_month(preamble) or month_from_name(spec, file_name)
    table = None if log.has_errors else build_table(spec, typed, area_code)
    created = find_created_at(preamble)
    return FormResult(
        spec.form_id, table, log.errors, log.warnings, encoding, preamble, layout, month, area_code, created
    )


def unknown_area(conflict: str | None = None) -> Problem:
    """CSV000: nothing says the file's area (or ``conflict`` says how its sources disagree)."""
    why = conflict or (
        "the area of the file is unknown: no point id in it says; pass --area 01..10, put the file under a "
        "folder named 01..10, or name it *_<area>_<YYYYMM>.csv"
    )
    return Problem(None, None, Rule.AREA_UNKNOWN.label, why)


def _area_of_points(spec: FormSpec, rows: Sequence[TypedRow], log: ProblemLog) -> str | None:
    """The area of a form read without one: the prefix (エリア) all its point ids share; several is CSV011."""
    columns = [c for c, t in spec.types.items() if t == "point_id"]
    prefixes = sorted({v[:2] for r in rows for c in columns if isinstance(v := r.values.get(c), str)})
    if len(prefixes) > 1:
        log.error(
            Rule.AREA_MISMATCH,
            None,
            None,
            f"point ids of several areas ({', '.join(prefixes)}) and no area given: a form comes from one TSO; "
            "pass --area 01..10 or put the file under a folder named 01..10",
        )
        return None
    return prefixes[0] if prefixes else None


def _filled(row: Row) -> int:
    return sum(1 for c in row.cells if c.strip())


def _report_missing(spec: FormSpec, best: HeaderMap | None, file_name: str, log: ProblemLog) -> None:
    """One CSV001 message: form, file, the missing columns with their aliases, and the headers seen."""

    missing = missing_required(spec, best) if best else list(spec.required)
    wanted = "; ".join(f"{c} (aliases: {', '.join(spec.aliases.get(c, ())) or c})" for c in missing)
    seen = list(best.cells) if best else []
    log.error(
        Rule.MISSING_REQUIRED_COLUMN,
        best.line if best else None,
        ", ".join(missing),
        f"form {spec.form_id} ({spec.name_ja}), file {file_name}: no header row within the first "
        f"{spec.header_search_lines} lines has all required columns; missing {wanted}; headers seen: {seen}. "
        f"Add the TSO's header to [forms.{spec.form_id}.aliases] in an alias file",
    )


def _check_header(spec: FormSpec, header: HeaderMap, log: ProblemLog) -> HeaderMap:
    """Report duplicate columns (CSV002), slot columns outside 1..48 (CSV016) and unknown columns
    (CSV031); returns the header without out-of-range slot columns."""
    for column, positions in duplicate_columns(spec, header):
        shown = ", ".join(repr(header.cells[i]) for i in positions)
        log.error(Rule.DUPLICATE_COLUMN, header.line, column, f"headers {shown} all resolve to {column}")
    index_column = spec.wide.index_column if spec.wide else None
    if index_column and spec.types.get(index_column) == "slot":
        bad = {i: w for i, w in header.wide.items() if not 1 <= w.n <= 48}
        for i, w in bad.items():
            log.error(
                Rule.BAD_SLOT,
                header.line,
                index_column,
                f"slot column {header.cells[i]!r} is slot {w.n}, outside 1–48",
            )
        if bad:
            header = HeaderMap(
                header.line,
                header.cells,
                header.plain,
                {i: w for i, w in header.wide.items() if i not in bad},
                header.extra,
            )
    if header.extra:
        log.warn(
            Rule.EXTRA_COLUMNS,
            header.line,
            ", ".join(header.extra.values()),
            f"columns not in the alias map kept per row in extra: {list(header.extra.values())}",
        )
    return header


def _check_row_widths(header: HeaderMap, rows: Sequence[Row], log: ProblemLog) -> None:
    """A data row whose width differs from the header's is an error: more (non-empty) fields (CSV022)
    have no column, and a shifted row would load wrong values; fewer fields (CSV024) is a row cut short,
    such as the last line of an interrupted download. Trailing empty fields (trailing commas) count as
    fields, so ``a,b,,`` under a four-column header is complete (csv-forms.md §6.3)."""
    width = len(header.cells)
    for row in rows:
        if row.line <= header.line:
            continue
        if len(row.cells) > width:
            log.error(
                Rule.TOO_MANY_FIELDS,
                row.line,
                None,
                f"{len(row.cells)} fields but the header at line {header.line} has {width}; "
                "is a comma inside an unquoted value?",
            )
        elif row.fields < width:
            log.error(
                Rule.TOO_FEW_FIELDS,
                row.line,
                None,
                f"{row.fields} fields but the header at line {header.line} has {width}; "
                "the row is cut short (an interrupted download?): download the file again",
            )


def _present_columns(spec: FormSpec, header: HeaderMap) -> frozenset[str]:
    present = set(header.plain.values())
    if header.is_wide and spec.wide is not None:
        present |= {w.column for w in header.wide.values()}
        if spec.wide.index_column:
            present.add(spec.wide.index_column)
    return frozenset(present)


def _target_month(spec: FormSpec, rows: Sequence[TypedRow]) -> date | None:
    """The file's month: the most frequent value of the month column (ties → earliest)."""
    if spec.month_column is None:
        return None
    counts = Counter(m for r in rows if (m := r.values.get(spec.month_column)) is not None)
    if not counts:
        return None
    top = max(counts.values())
    return min(m for m, n in counts.items() if n == top)


def _preamble_month(preamble: str) -> date | None:
    return find_month(preamble) if preamble else None
