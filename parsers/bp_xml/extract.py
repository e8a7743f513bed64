"""Row extraction for the hot path: an XSLT per layout turns a batch of finished records into tab-separated
text that pyarrow's C++ CSV reader converts to typed Arrow columns (exact decimals included).

Python touches a batch, not a record: on a 2-core machine this is what makes parsing faster than a naive
``iterparse`` loop. Only token-typed values (ids, codes, slots, dates, decimals) go through this path;
the XSD collapses their whitespace, so ``normalize-space`` gives exactly the validated value and a tab
can never occur inside one. Free text (names, addresses) is read per point record in Python instead.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache

import pyarrow as pa
import pyarrow.csv as pacsv
from lxml import etree

from core.kinds import MessageKind
from parsers.bp_xml.schema import element_columns, elements_for

QUANTITY = pa.decimal128(18, 6)

ARROW_TYPES: dict[str, pa.DataType] = {
    "Quantity": QUANTITY,
    "Date8": pa.date32(),
    "Slot": pa.int8(),
}


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


@cache
def stylesheet(spec: RowSpec, kind: MessageKind, ns: str | None) -> etree.XSLT:
    """Compile the XSLT that prints one tab-separated line per row of ``spec``.

    Outer levels' values are computed once per record into variables, not once per row.
    """
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
    """Rows of the first ``count`` records of ``container`` as an Arrow table (types from the XSD)."""
    text = bytes(stylesheet(spec, kind, ns)(etree.ElementTree(container), n=str(count + 1)))
    names = list(spec.columns)
    if not text:
        return pa.table({c: pa.array([], arrow_type(c)) for c in names})
    return pacsv.read_csv(
        io.BytesIO(text),
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False),
        convert_options=pacsv.ConvertOptions(
            column_types={c: arrow_type(c) for c in names},
            null_values=[""],
            strings_can_be_null=True,
        ),
    )
