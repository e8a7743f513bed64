"""Form detection (帳票種別の判定): by header first, then by file name, csv-forms.md §6.4 and F6.

By header: the forms whose required columns all resolve in one of the first rows; when several do
(Form 3's two required columns also appear in Form 2), the form whose aliases cover the most header
cells wins. By file name: the ``filename_patterns`` of each form, searched in the NFKC file name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from parsers.csv_forms.aliases import FormSpec, all_form_ids, form_spec, load_config
from parsers.csv_forms.encoding import EncodingDetectionError, decode_bytes
from parsers.csv_forms.header import find_header
from parsers.csv_forms.normalize import nfkc
from parsers.csv_forms.rows import MalformedCsvError, Row, iter_rows


def detect_by_header(specs: Sequence[FormSpec], rows: Sequence[Row]) -> str | None:
    """The form whose required columns resolve in a header row, preferring the best-covered header."""
    best: tuple[int, int, str] | None = None  # (covered cells, -line, form_id)
    for spec in specs:
        header, _ = find_header(spec, rows)
        if header is None:
            continue
        score = (len(header.plain) + len(header.wide), -header.line, spec.form_id)
        if best is None or score > best:
            best = score
    return best[2] if best else None


def detect_by_name(specs: Sequence[FormSpec], name: str) -> str | None:
    """The first form with a file-name pattern found in ``name``."""
    normalized = nfkc(name)
    for spec in specs:
        if any(p.search(normalized) for p in spec.filename_patterns):
            return spec.form_id
    return None


def month_from_name(spec: FormSpec, name: str) -> date | None:
    """The target month written in a file name, through a pattern's ``yyyymm`` group."""
    normalized = nfkc(name)
    for pattern in spec.filename_patterns:
        m = pattern.search(normalized)
        if m and m.groupdict().get("yyyymm"):
            text = m["yyyymm"]
            try:
                return date(int(text[:4]), int(text[4:6]), 1)
            except ValueError:
                return None
    return None


def detect_form(
    path_or_bytes: Path | str | bytes,
    *,
    area_code: str | None = None,
    aliases_file: Path | None = None,
    encoding: str | None = None,
    config: dict[str, Any] | None = None,
) -> str | None:
    """Which form a file is (``form_id``) or ``None``: by its header, else by its file name.

    ``path_or_bytes`` is a path or the raw bytes (bytes have no name, so only the header decides).
    """
    config = config if config is not None else load_config(aliases_file)
    specs = [form_spec(f, area_code, config) for f in all_form_ids(config)]
    if isinstance(path_or_bytes, bytes):
        data, name = path_or_bytes, None
    else:
        path = Path(path_or_bytes)
        data, name = path.read_bytes(), path.name
    try:
        text = decode_bytes(data, encoding).text
        rows = list(iter_rows(text))
    except (EncodingDetectionError, MalformedCsvError):
        rows = []
    found = detect_by_header(specs, rows)
    if found is None and name is not None:
        found = detect_by_name(specs, name)
    return found
