"""Reading the rows of a validated piece element by element gives exactly the rows of the XSLT, and
leaves to the XSLT every piece where it could read something else."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from core.kinds import MessageKind
from parsers.bp_xml.engine import W4_DAILY_ROW, W4_ROW
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
    root = etree.fromstring(data.replace(old, new, 1))
    ns = etree.QName(root).namespace
    q = (lambda t: f"{{{ns}}}{t}") if ns else (lambda t: t)
    return root.find(f"{q('JPMGRP')}/{q('JPTRM')}/{q('JPM00010')}"), parse_bp_filename(path.name).kind, ns


@pytest.mark.parametrize(("prefix", "spec"), [("W41120", W4_DAILY_ROW), ("W40120", W4_DAILY_ROW), ("W41110", W4_ROW)])
@pytest.mark.parametrize("area", ["01", "03", "05", "06"])  # encodings, namespaces, padded slots, element order
def test_element_rows_are_the_rows_of_the_xslt(sample_bp: Path, prefix: str, spec: RowSpec, area: str) -> None:
    container, kind, ns = records_of(sample_bp, prefix, area)
    rows = element_rows(container, spec, kind, ns)
    assert rows is not None, "every record holds every value element: read element by element"
    assert rows.equals(extract_rows(container, len(container), spec, kind, ns))
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
    rows = element_rows(container, W4_DAILY_ROW, kind, ns)
    assert (rows is not None) == by_element
    reference = extract_rows(container, len(container), W4_DAILY_ROW, kind, ns)
    assert whole_rows(container, W4_DAILY_ROW, kind, ns).equals(reference)
    if rows is not None:
        assert rows.equals(reference)
