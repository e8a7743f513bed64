"""Reading the rows of a validated piece element by element gives exactly the rows of the XSLT, and
leaves to the XSLT every piece where it could read something else."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from lxml import etree

from core.kinds import MessageKind
from parsers.bp_xml.engine import W4_DAILY_ROW, W4_ROW, W5_ROW
from parsers.bp_xml.extract import RowSpec, element_rows, extract_rows, whole_rows
from parsers.bp_xml.filename import parse_bp_filename
from tests.conftest import xml_of


def records_of(
    sample_bp: Path, prefix: str, area: str, change: tuple[bytes, bytes] = (b"", b"")
) -> tuple[etree._Element, MessageKind, str | None]:
    """The record container (JPM00010) of a sample file (with its first ``old`` replaced by ``new``), its
    kind and namespace."""
    path = sorted((sample_bp / area).glob(f"{prefix}*.zip"))[0]
    data = xml_of(path)
    old, new = change
    assert old in data
    data = data.replace(old, new, 1)
    if b'encoding="Shift_JIS"' in data[:100]:  # CP932 as served (① and the like): as the reader transcodes it
        data = data.decode("cp932").replace('encoding="Shift_JIS"', 'encoding="UTF-8"', 1).encode()
    root = etree.fromstring(data)
    ns = etree.QName(root).namespace
    q = (lambda t: f"{{{ns}}}{t}") if ns else (lambda t: t)
    return root.find(f"{q('JPMGRP')}/{q('JPTRM')}/{q('JPM00010')}"), parse_bp_filename(path.name).kind, ns


def read_as_the_xslt(
    container: etree._Element, spec: RowSpec, kind: MessageKind, ns: str | None, by_element: bool, compare: bool = True
) -> pa.Table | None:
    """Element by element (or not, as ``by_element`` says), and with ``compare`` exactly the XSLT's rows,
    through :func:`whole_rows` too. Returns the element-by-element rows."""
    rows = element_rows(container, spec, kind, ns)
    assert (rows is not None) == by_element
    if compare:
        reference = extract_rows(container, len(container), spec, kind, ns)
        assert whole_rows(container, spec, kind, ns).equals(reference)
        if rows is not None:
            assert rows.equals(reference)
    return rows


@pytest.mark.parametrize(
    ("prefix", "spec"),
    [("W41120", W4_DAILY_ROW), ("W40120", W4_DAILY_ROW), ("W41110", W4_ROW), ("W51220", W5_ROW), ("W51210", W5_ROW)],
)  # fmt: skip
@pytest.mark.parametrize("area", ["01", "03", "05", "06"])  # encodings, namespaces, padded slots, element order
def test_element_rows_are_the_rows_of_the_xslt(sample_bp: Path, prefix: str, spec: RowSpec, area: str) -> None:
    container, kind, ns = records_of(sample_bp, prefix, area)
    rows = element_rows(container, spec, kind, ns)
    reference = extract_rows(container, len(container), spec, kind, ns)
    split = sum(1 for _ in container.iter(f"{{{ns}}}JP06425" if ns else "JP06425"))  # 分割後電力量, optional
    if 0 < split < reference.num_rows:  # a point supplied in part has it in its slots, the others not
        assert rows is None, "the columns would not line up: the XSLT reads the piece"
        return
    assert rows is not None, "every record holds every value element: read element by element"
    assert rows.equals(reference)
    assert rows.num_rows > 0


@pytest.mark.parametrize(
    ("change", "by_element"),
    [
        ((b"<JP06125>", b"<JP06125> \n\t"), True),  # surrounding whitespace: collapsed by both
        ((b"<JP06122>0</JP06122>", b"<JP06122>\n 0 \r\n</JP06122>"), True),
        ((b"<JP06219>1</JP06219>", b"<JP06219> 01 </JP06219>"), True),  # padded slot
        ((b"<JP06125>", b"<JP06125>+"), True),  # a sign xs:decimal allows
        ((b"<JP06122>0</JP06122>", b"<JP06122></JP06122>"), True),  # empty text: NULL
        ((b"<JP06122>0</JP06122>", b"<JP06122>  </JP06122>"), True),  # whitespace only: NULL
        ((b"<JP06122>0</JP06122>", b"<JP06122>\xe3\x80\x800</JP06122>"), True),  # U+3000 is not XML whitespace
        ((b"<JP06122>0</JP06122>", b""), False),  # a record without the element: the XSLT reads it
        ((b"<JP06122>0</JP06122>", b"<JP06122>0  1</JP06122>"), False),  # whitespace inside: normalize-space
        ((b"<JP06122>0</JP06122>", b"<JP06122>0\t1</JP06122>"), False),
    ],
)
def test_element_rows_read_what_the_xslt_reads_or_leave_it_to_the_xslt(
    sample_bp: Path, change: tuple[bytes, bytes], by_element: bool
) -> None:
    container, kind, ns = records_of(sample_bp, "W41120", "03", change)
    read_as_the_xslt(container, W4_DAILY_ROW, kind, ns, by_element)


@pytest.mark.parametrize(
    ("change", "by_element"),
    [
        ((b"", b""), True),
        ((b"<JP06404>1</JP06404>", b""), True),  # a point record without its 分割区分: NULL, as the XSLT reads it
        ((b"<JP06423>20240401</JP06423>", b"<JP06423> 20240401\n</JP06423>"), True),  # a date, whitespace around
        # 分割後電力量 in one slot record only: the columns would not line up, the XSLT reads it
        ((b"<JP06424>13.9</JP06424>", b"<JP06424>13.9</JP06424><JP06425>1.0</JP06425>"), False),
        ((b"<JP06423>20240401</JP06423>", b"<JP06423>2024 0401</JP06423>"), False),
    ],
)
def test_a_monthly_files_three_levels_read_element_by_element(
    sample_bp: Path, change: tuple[bytes, bytes], by_element: bool
) -> None:
    """月間確定使用量: a point, its days, their slots; the point's and the day's values repeated down."""
    container, kind, ns = records_of(sample_bp, "W51210", "03", change)
    # a date with a space inside is no valid Date8: the piece never gets here (XSD), and the XSLT makes no date
    valid = change[1] != b"<JP06423>2024 0401</JP06423>"
    rows = read_as_the_xslt(container, W5_ROW, kind, ns, by_element, compare=valid)
    if rows is not None:
        assert rows.num_rows > 1000


def test_an_impossible_date_is_an_error_as_in_the_xslt(sample_bp: Path) -> None:
    """The XSD's pattern lets 20240231 through; Arrow refuses it on both paths (the file is then parsed in
    one streaming pass, which reports it)."""
    container, kind, ns = records_of(
        sample_bp, "W51210", "03", (b"<JP06423>20240401</JP06423>", b"<JP06423>20240231</JP06423>")
    )
    with pytest.raises(pa.ArrowInvalid):
        element_rows(container, W5_ROW, kind, ns)
    with pytest.raises(pa.ArrowInvalid):
        extract_rows(container, len(container), W5_ROW, kind, ns)
