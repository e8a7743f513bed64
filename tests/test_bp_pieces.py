"""Cutting a BP document into pieces: every byte lands in exactly one piece whatever the chunk boundaries,
each piece is a document of its own, and whatever could fool the cut sends the file to the one-piece
streaming pass, which loads or reports exactly as before."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from lxml import etree

import parsers.bp_xml.engine as engine
import parsers.bp_xml.pieces as pieces_module
from parsers.bp_xml.engine import Sink, parse_bp_file
from parsers.bp_xml.filename import parse_bp_filename
from parsers.bp_xml.pieces import NotSplittable, Pieces
from tests.conftest import write_xml, xml_of


class Rows(Sink):
    def __init__(self) -> None:
        self.tables: list[pa.Table] = []
        self.point_tables: list[pa.Table] = []

    def interval(self, table: pa.Table) -> None:
        self.tables.append(table)

    def points(self, table: pa.Table) -> None:
        self.point_tables.append(table)

    def discard(self) -> None:
        self.tables.clear()
        self.point_tables.clear()

    def rows(self) -> list[dict]:
        return sorted(pa.concat_tables(self.tables).to_pylist(), key=repr) if self.tables else []


def chunks_of(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def sample(sample_bp: Path, prefix: str, area: str = "03") -> Path:
    return sorted((sample_bp / area).glob(f"{prefix}*.zip"))[0]


@pytest.mark.parametrize("prefix", ["W41120", "W41110", "W51220", "W51420"])
@pytest.mark.parametrize("chunk", [1, 7, 80, 81, 333, 4096])
def test_every_byte_lands_in_exactly_one_piece_whatever_the_chunks(sample_bp: Path, prefix: str, chunk: int) -> None:
    data = xml_of(sample(sample_bp, prefix))
    cut = Pieces(chunks_of(data, chunk), piece_bytes=1)  # a piece per record
    pieces = list(cut)
    head = data[: data.find(b"<JPMR00010")]
    assert all(p.startswith(head) for p in pieces)
    middles = []
    for p in pieces[:-1]:
        closing = p[p.rfind(b"</JPMR00010>") + len(b"</JPMR00010>") :]
        middles.append(p[len(head) : len(p) - len(closing)])
    middles.append(pieces[-1][len(head) :])
    assert head + b"".join(middles) == data
    assert len(pieces) - 1 <= data.count(b"</JPMR00010>") <= len(pieces)  # the last piece may hold none
    for p in pieces:
        etree.fromstring(p)  # each piece is a well-formed document


def test_the_head_with_a_comment_is_not_cut(sample_bp: Path) -> None:
    data = xml_of(sample(sample_bp, "W41120")).replace(b"<JPTRM>", b"<JPTRM><!-- <JPMR00010> -->", 1)
    with pytest.raises(NotSplittable):
        list(Pieces([data]))


def test_an_element_after_the_last_record_is_not_cut(sample_bp: Path) -> None:
    data = xml_of(sample(sample_bp, "W41120")).replace(b"</JPM00010>", b"</JPM00010><JP06170>x</JP06170>")
    with pytest.raises(NotSplittable):
        list(Pieces([data]))


def test_more_slot_records_than_the_xsd_allows_are_reported_as_in_one_streaming_pass(
    sample_bp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = sample(sample_bp, "W41120")
    data = xml_of(src)
    first = data[data.find(b"<JPMR00010>") : data.find(b"</JPMR00010>") + len(b"</JPMR00010>")]
    path = write_xml(tmp_path, src.name, data.replace(b"</JPM00010>", first + b"</JPM00010>"))  # 49 slot records
    monkeypatch.setattr(pieces_module, "PIECE_BYTES", 1)
    outcome = parse_bp_file(path, parse_bp_filename(path.name), area_code="03", threads=2)
    reference = parse_bp_file(path, parse_bp_filename(path.name), area_code="03", in_pieces=False)
    assert not outcome.ok and outcome.errors == reference.errors


@pytest.mark.parametrize(
    "fool",
    [
        b"<!-- </JPMR00010><JPMR00010> -->",  # a cut inside a comment leaves it open in its piece
        b"<![CDATA[</JPMR00010><JPMR00010>]]>",
        b"<?pi </JPMR00010><JPMR00010>?>",
    ],
)
def test_markup_that_fools_the_cut_loads_as_in_one_streaming_pass(
    sample_bp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fool: bytes
) -> None:
    src = sample(sample_bp, "W41120")
    data = xml_of(src)
    at = data.find(b"<JP06219>", data.find(b"<JPMR00010>", data.find(b"<JPMR00010>") + 1))
    path = write_xml(tmp_path, src.name, data[:at] + fool + data[at:])
    name = parse_bp_filename(path.name)
    monkeypatch.setattr(pieces_module, "PIECE_BYTES", 1)
    cut, whole = Rows(), Rows()
    outcome = parse_bp_file(path, name, area_code="03", sink=cut, threads=2)
    reference = parse_bp_file(path, name, area_code="03", sink=whole, in_pieces=False)
    assert (outcome.errors, outcome.warnings, outcome.interval_rows) == (
        reference.errors,
        reference.warnings,
        reference.interval_rows,
    )
    assert cut.rows() == whole.rows()


@pytest.mark.parametrize("prefix", ["W41120", "W40120", "W41110", "W51220", "W51210", "W51320", "W51410"])
@pytest.mark.parametrize("area", ["01", "03", "05", "06"])  # encodings, namespaces, padded slots, element order
def test_pieces_give_the_rows_and_warnings_of_one_streaming_pass(
    sample_bp: Path, monkeypatch: pytest.MonkeyPatch, prefix: str, area: str
) -> None:
    path = sample(sample_bp, prefix, area)
    name = parse_bp_filename(path.name)
    monkeypatch.setattr(pieces_module, "PIECE_BYTES", 3_000)
    cut, whole = Rows(), Rows()
    streamed: list[int] = []
    real = engine._run
    monkeypatch.setattr(engine, "_run", lambda *a: streamed.append(1) or real(*a))
    outcome = parse_bp_file(path, name, area_code=area, sink=cut, threads=2)
    assert not streamed, "the file was parsed in pieces"
    reference = parse_bp_file(path, name, area_code=area, sink=whole, in_pieces=False)
    assert outcome.ok and reference.ok
    assert (outcome.facts, outcome.warnings, outcome.unmapped) == (
        reference.facts,
        reference.warnings,
        reference.unmapped,
    )
    assert (outcome.interval_rows, outcome.point_rows) == (reference.interval_rows, reference.point_rows)
    assert cut.rows() == whole.rows()
    points = sorted(pa.concat_tables(cut.point_tables).to_pylist(), key=repr) if cut.point_tables else []
    assert points == (sorted(pa.concat_tables(whole.point_tables).to_pylist(), key=repr) if whole.point_tables else [])


def test_validate_after_a_piece_fails_reports_only_the_streaming_pass(
    sample_bp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys spooled from pieces before the cut gave up are forgotten: no duplicate keys appear."""
    from parsers.bp_xml.validate import validate_bp_file

    src = sample(sample_bp, "W41120")
    data = xml_of(src)
    at = data.find(b"<JP06219>", data.find(b"<JPMR00010>", data.find(b"<JPMR00010>") + 1))
    path = write_xml(tmp_path, src.name, data[:at] + b"<!-- </JPMR00010><JPMR00010> -->" + data[at:])
    monkeypatch.setattr(pieces_module, "PIECE_BYTES", 1)
    outcome = validate_bp_file(path, "03")
    assert outcome.ok, outcome.errors
