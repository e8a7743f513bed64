"""A row with fewer fields than the header is a row cut short: the whole file is rejected (CSV024)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from parsers.csv_forms import read_form
from sample_data.csv_forms import FileVariant, generate_allocated_energy, render_allocated_energy

MONTH = date(2024, 4, 1)


def _form1(layout: str) -> bytes:
    rows = generate_allocated_energy("03", MONTH, seed=3, receiving_points=1)
    return render_allocated_energy(rows, FileVariant(layout=layout), area="03", billing_month=MONTH)


def cut_mid_last_row(data: bytes) -> bytes:
    """The file as an interrupted download leaves it: the last row stops half-way, no final newline."""
    body = data.rstrip(b"\r\n")
    start = body.rindex(b"\n") + 1
    return body[: start + (len(body) - start) // 2]


@pytest.mark.parametrize("layout", ["wide", "long"])
def test_a_form_cut_in_the_middle_of_a_row_is_rejected(tmp_path: Path, layout: str) -> None:
    path = tmp_path / "f1.csv"
    path.write_bytes(cut_mid_last_row(_form1(layout)))

    result = read_form(path, "03")

    assert result.table is None
    last_line = path.read_bytes().count(b"\n") + 1
    assert [p.line for p in result.errors if p.rule_id == "CSV024"] == [last_line]


def test_trailing_empty_fields_still_count_as_fields(tmp_path: Path) -> None:
    """``a,b,,`` under a four-column header is complete: its last two values are empty, not cut off."""
    text = _form1("long").decode("cp932").replace("\r\n", "\n")
    header, *body = [line for line in text.split("\n") if line]
    width = header.count(",") + 1
    first = body[-1].split(",")
    emptied = ",".join([*first[: width - 1], ""])  # the last value left empty, its comma kept
    path = tmp_path / "f1.csv"
    path.write_text("\n".join([header, *body[:-1], emptied]) + "\n", encoding="utf-8")

    result = read_form(path, "03")

    assert not any(p.rule_id == "CSV024" for p in result.errors), result.errors
