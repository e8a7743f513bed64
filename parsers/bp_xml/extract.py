"""Row extraction for the hot path: an XSLT per layout turns a batch of finished records into tab-separated
text that pyarrow's C++ CSV reader converts to typed Arrow columns (exact decimals included).

A whole validated piece whose records each hold every value element once (the usual case) is read more
cheaply by :func:`whole_rows`: the text of each value element, gathered per column in document order by
lxml's C iterator, typed by Arrow compute (exact decimals again); the XSLT reads every other piece.

Python touches a batch, not a record: on a 2-core machine this is what makes parsing faster than a naive
``iterparse`` loop. Only token-typed values (ids, codes, slots, dates, decimals) go through this path;
the XSD collapses their whitespace, so ``normalize-space`` gives exactly the validated value and a tab
can never occur inside one. Free text (names, addresses) is read per point record in Python instead.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from lxml import etree

from core.kinds import MessageKind
from parsers.bp_xml.schema import element_columns, elements_for, record_children

XML_SPACE = " \t\r\n"  # the characters XSD's whiteSpace facet and XPath's normalize-space() act on
_XML_SPACE_BYTES = tuple(c.encode() for c in XML_SPACE)
QUANTITY = pa.decimal128(18, 6)

ARROW_TYPES: dict[str, pa.DataType] = {
    "Quantity": QUANTITY,
    "Date8": pa.date32(),
    "Slot": pa.int8(),
}


def _type(column: str) -> pa.DataType:
    return pa.int64() if column == ROWS else arrow_type(column)


def arrow_type(column: str) -> pa.DataType:
    """Arrow type of a canonical column, from the XSD type of the elements that feed it."""
    for col in element_columns().values():
        if col.column == column:
            return ARROW_TYPES.get(col.xsd_type, pa.string())
    raise KeyError(column)


@dataclass(frozen=True)
class Level:
    """One nesting level of the rows: the path to its records from the level above, and its columns."""

    path: str  # '.' for the batch's records themselves, else e.g. 'JPM00013/JPMR00013'
    columns: tuple[str, ...]
    count: str | None = None  # also print how many records this path holds below each record


@dataclass(frozen=True)
class RowSpec:
    """Rows made from nested records: the innermost level makes one row, outer levels add their columns.

    Element names come from the XSD mapping (every element whose ``t:column`` is the column).
    """

    levels: tuple[Level, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for level in self.levels for c in level.columns)


def _value(column: str, kind: MessageKind, ns: str | None) -> str:
    """XPath of a column's value relative to its record; dates become ISO text for Arrow."""
    names = " | ".join(f"n:{e}" if ns else e for e in elements_for(column, kind))
    sel = f"normalize-space({names})"
    if arrow_type(column) == pa.date32():  # YYYYMMDD -> YYYY-MM-DD; Arrow rejects impossible dates
        sel = f"concat(substring({sel},1,4),'-',substring({sel},5,2),'-',substring({sel},7,2))"
        sel = f"substring({sel}, 1, 10 * number(string-length({names}) > 0))"
    return sel


def _path(path: str, ns: str | None) -> str:
    return "/".join(f"n:{p}" if ns else p for p in path.split("/"))


class _Stylesheets(threading.local):
    """Compiled stylesheets of this thread (libxslt objects are not shared between threads)."""

    def __init__(self) -> None:
        self.compiled: dict[tuple[RowSpec, str, str | None], etree.XSLT] = {}


_STYLESHEETS = _Stylesheets()


def stylesheet(spec: RowSpec, kind: MessageKind, ns: str | None) -> etree.XSLT:
    """The XSLT that prints one tab-separated line per row of ``spec``, compiled once per thread."""
    key = (spec, kind.name, ns)
    if key not in _STYLESHEETS.compiled:
        _STYLESHEETS.compiled[key] = _compile(spec, kind, ns)
    return _STYLESHEETS.compiled[key]


def _compile(spec: RowSpec, kind: MessageKind, ns: str | None) -> etree.XSLT:
    """Outer levels' values are computed once per record into variables, not once per row."""
    tab = "<xsl:text>&#9;</xsl:text>"
    body = ""
    outer: list[str] = []
    for depth, level in enumerate(spec.levels):
        last = depth == len(spec.levels) - 1
        select = "*/*[position() &lt; $n]" if depth == 0 else _path(level.path, ns)
        inner = ""
        if last:
            fields = [*(f'<xsl:value-of select="${v}"/>' for v in outer)]
            fields += [f'<xsl:value-of select="{_value(c, kind, ns)}"/>' for c in level.columns]
            if level.count:
                fields.append(f'<xsl:value-of select="count({_path(level.count, ns)})"/>')
            inner = tab.join(fields) + "<xsl:text>&#10;</xsl:text>"
        else:
            for c in level.columns:
                inner += f'<xsl:variable name="{c}" select="{_value(c, kind, ns)}"/>'
                outer.append(c)
        body += f'<xsl:for-each select="{select}">{inner}'
    body += "</xsl:for-each>" * len(spec.levels)
    nsdecl = f' xmlns:n="{ns}"' if ns else ""
    xsl = (
        f'<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"{nsdecl}>'
        '<xsl:output method="text" encoding="UTF-8"/><xsl:param name="n"/>'
        f'<xsl:template match="/">{body}</xsl:template></xsl:stylesheet>'
    )
    return etree.XSLT(etree.XML(xsl))


def extract_rows(container: etree._Element, count: int, spec: RowSpec, kind: MessageKind, ns: str | None) -> pa.Table:
    """Rows of the first ``count`` records of ``container`` as an Arrow table (types from the XSD).

    With nested levels, the innermost rows are printed with their own columns only, and the outer
    records once each with the number of innermost rows below them; their columns are then repeated
    down in Arrow (a slot record's slot is printed once, not 10,000 times).
    """
    if len(spec.levels) == 1:
        return typed_rows(rows_text(container, count, spec, kind, ns), spec.columns)
    *outer, last = spec.levels
    inner_spec = RowSpec((*(Level(lv.path, ()) for lv in outer), last))
    outer_spec = RowSpec((*outer[:-1], Level(outer[-1].path, outer[-1].columns, count=last.path)))
    inner = typed_rows(rows_text(container, count, inner_spec, kind, ns), last.columns)
    records = typed_rows(rows_text(container, count, outer_spec, kind, ns), (*outer_spec.columns, ROWS))
    return fill_down(records, inner, spec.columns)


ROWS = "rows below"  # the count column of outer records


def fill_down(records: pa.Table, inner: pa.Table, columns: tuple[str, ...]) -> pa.Table:
    """``inner`` with the columns of ``records`` repeated down: record i over its next ``rows below`` rows."""
    counts = records[ROWS].combine_chunks()
    offsets = pa.concat_arrays([pa.array([0], pa.int64()), pc.cumulative_sum(counts)])
    if offsets[-1].as_py() != inner.num_rows:
        raise ValueError(f"{inner.num_rows} rows, but the records above them count {offsets[-1].as_py()}")
    parent = pc.list_parent_indices(pa.ListArray.from_arrays(offsets, pa.nulls(inner.num_rows)))
    taken = {c: records[c].take(parent) for c in records.column_names if c != ROWS}
    return pa.table({c: taken[c] if c in taken else inner[c] for c in columns})


def rows_text(container: etree._Element, count: int, spec: RowSpec, kind: MessageKind, ns: str | None) -> bytes:
    """The rows as tab-separated text, one XSLT pass in C."""
    return bytes(stylesheet(spec, kind, ns)(etree.ElementTree(container), n=str(count + 1)))


def typed_rows(text: bytes, columns: tuple[str, ...]) -> pa.Table:
    """Tab-separated rows converted to typed Arrow columns by pyarrow's C++ CSV reader."""
    names = list(columns)
    if not text:
        return pa.table({c: pa.array([], _type(c)) for c in names})
    return pacsv.read_csv(
        io.BytesIO(text),
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False),
        convert_options=pacsv.ConvertOptions(
            column_types={c: _type(c) for c in names},
            null_values=[""],
            strings_can_be_null=True,
        ),
    )


def whole_rows(container: etree._Element, spec: RowSpec, kind: MessageKind, ns: str | None) -> pa.Table:
    """Rows of every record of ``container`` (a validated tree, every record finished), the same as
    :func:`extract_rows`: element by element when :func:`element_rows` can, else by the XSLT."""
    table = element_rows(container, spec, kind, ns)
    return table if table is not None else extract_rows(container, len(container), spec, kind, ns)


def element_rows(container: etree._Element, spec: RowSpec, kind: MessageKind, ns: str | None) -> pa.Table | None:
    """Rows of every record of ``container`` from the ``.text`` of each value element, gathered per column in
    document order by ``iter(tag)`` (C), trimmed and typed by Arrow compute: no per-row Python, no XSLT.
    An outer level's records are walked in Python (a slot of a per-day file, a point and its days of a
    monthly file: a few per thousand rows), and their values repeated down in Arrow.

    The columns line up because the XSD allows each value element at most once per record (``xs:all``)
    and the element that holds a level's records holds nothing else; a column whose element count is
    neither the number of rows nor zero (an optional element left out of some records) gives None. So does
    what the XSLT would read differently: a column fed by several elements, a value with whitespace inside
    (``normalize-space`` collapses it). The caller then uses the XSLT.
    """
    if not len(container):
        return None
    tags: dict[str, str] = {}
    records = (etree.QName(container[0]).localname, *(lv.path.rpartition("/")[2] for lv in spec.levels[1:]))
    for level, record in zip(spec.levels, records, strict=True):
        held = record_children(kind, record)
        for column in level.columns:
            names = [e for e in elements_for(column, kind) if e in held]
            if len(names) != 1:
                return None
            tags[column] = f"{{{ns}}}{names[0]}" if ns else names[0]
    *outer, last = spec.levels
    level_records: list[etree._Element] = list(container) if outer else []  # never the innermost records
    holders: list[etree._Element] = [container]  # the elements holding the innermost records
    above: list[pa.Table] = []  # each outer level's columns, and how many records of the next level it holds
    for depth, level in enumerate(outer):
        holder = "/".join(f"{{{ns}}}{p}" if ns else p for p in spec.levels[depth + 1].path.split("/")[:-1])
        groups = [r.find(holder) if holder else r for r in level_records]
        columns: dict[str, pa.Array] = {ROWS: pa.array([len(g) if g is not None else 0 for g in groups], pa.int64())}
        for column in level.columns:
            typed = _typed([r.findtext(tags[column]) for r in level_records], column, len(level_records))
            if typed is None:
                return None
            columns[column] = typed
        above.append(pa.table(columns))
        holders = [g for g in groups if g is not None]
        if depth + 1 < len(outer):  # the next level's records, walked in turn (never the innermost ones)
            level_records = [record for g in holders for record in g]
    rows = sum(len(h) for h in holders)
    inner: dict[str, pa.Array] = {}
    for column in last.columns:
        typed = _typed([e.text for h in holders for e in h.iter(tags[column])], column, rows)
        if typed is None:
            return None
        inner[column] = typed
    table = pa.table(inner)
    if not above:
        return table
    outside = above[0]  # each outer level's values repeated down to the next level's records, then to the rows
    for level in above[1:]:
        outside = fill_down(outside, level, (*(c for c in outside.column_names if c != ROWS), *level.column_names))
    return fill_down(outside, table, spec.columns)


def _typed(texts: list[str | None], column: str, rows: int) -> pa.Array | None:
    """Element texts as the column's Arrow type, read as the XSLT and CSV reader read them: surrounding
    XML whitespace dropped, empty text NULL, a date ``YYYYMMDD`` as a calendar date (an impossible one is
    an error); every row NULL when no record has the element. None when the texts are not one per row, or
    a value holds whitespace inside."""
    typ = arrow_type(column)
    if not texts:
        return pa.nulls(rows, typ)
    if len(texts) != rows:
        return None
    values = pa.array(texts, pa.string())
    if _holds_xml_space(values):  # trimmed only then: the usual piece has none
        values = pc.utf8_trim(values, XML_SPACE)
        if _holds_xml_space(values):
            return None
    empty = pc.equal(values, "")
    if pc.any(empty).as_py():
        values = pc.if_else(empty, pa.scalar(None, pa.string()), values)
    if typ == pa.date32():  # the XSD's Date8 is eight digits: YYYY-MM-DD for Arrow's date parser
        parts = [pc.utf8_slice_codeunits(values, a, b) for a, b in ((0, 4), (4, 6), (6, 8))]
        values = pc.binary_join_element_wise(*parts, "-")
    return values if typ == pa.string() else values.cast(typ)


def _holds_xml_space(values: pa.Array) -> bool:
    """Whether any value of a string array (offset 0, as built) holds an XML whitespace character."""
    data = values.buffers()[2]
    text = data.to_pybytes() if data is not None else b""
    return any(c in text for c in _XML_SPACE_BYTES)
