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
class RowSpec:
    """Columns of one output row and, for each, the XPath (from the row element) of its element."""

    row_path: str  # from a record of the batch to the element that makes one row ('.' = the record)
    columns: tuple[tuple[str, str], ...]  # (column, relative path prefix to the element's parent)


def _select(column: str, prefix: str, ns: str | None) -> str:
    names = elements_for(column)
    q = [f"{prefix}n:{e}" if ns else f"{prefix}{e}" for e in names]
    return " | ".join(q)


def _is_date(column: str) -> bool:
    return arrow_type(column) == pa.date32()


@cache
def stylesheet(spec: RowSpec, ns: str | None) -> etree.XSLT:
    """Compile the XSLT that prints one tab-separated line per row of ``spec``."""
    fields = []
    for column, prefix in spec.columns:
        sel = f"normalize-space({_select(column, prefix, ns)})"
        if _is_date(column):  # YYYYMMDD -> ISO, which Arrow parses (and rejects when not a real date)
            v = f"{sel}"
            sel = f"concat(substring({v},1,4),'-',substring({v},5,2),'-',substring({v},7,2))"
            sel = f"substring({sel}, 1, 10 * number(string-length({v}) = 8))"
        fields.append(f'<xsl:value-of select="{sel}"/>')
    sep = "<xsl:text>&#9;</xsl:text>"
    row_select = "*/*[position() &lt; $n]"
    if spec.row_path != ".":
        parts = "/".join(f"n:{p}" if ns else p for p in spec.row_path.split("/"))
        row_select += "/" + parts
    nsdecl = f' xmlns:n="{ns}"' if ns else ""
    xsl = (
        f'<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"{nsdecl}>'
        '<xsl:output method="text" encoding="UTF-8"/><xsl:param name="n"/>'
        f'<xsl:template match="/"><xsl:for-each select="{row_select}">'
        + sep.join(fields)
        + "<xsl:text>&#10;</xsl:text></xsl:for-each></xsl:template></xsl:stylesheet>"
    )
    return etree.XSLT(etree.XML(xsl))


def extract_rows(container: etree._Element, count: int, spec: RowSpec, ns: str | None) -> pa.Table:
    """Rows of the first ``count`` records of ``container`` as an Arrow table (types from the XSD)."""
    text = bytes(stylesheet(spec, ns)(etree.ElementTree(container), n=str(count + 1)))
    names = [c for c, _ in spec.columns]
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
