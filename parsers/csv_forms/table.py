"""Building the Arrow table (Arrow表) of a form from typed rows.

Columns: the form's canonical columns (types from the alias map) then ``area_code`` (string),
``source_line`` (int32) and ``extra`` (JSON text of unknown columns, or null).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pyarrow as pa

from parsers.csv_forms.aliases import FormSpec
from parsers.csv_forms.convert import ARROW_TYPES
from parsers.csv_forms.validate import TypedRow

PROVENANCE_FIELDS: tuple[pa.Field, ...] = (
    pa.field("area_code", pa.string(), nullable=False),
    pa.field("source_line", pa.int32(), nullable=False),
    pa.field("extra", pa.string()),
)


def arrow_schema(spec: FormSpec) -> pa.Schema:
    """The Arrow schema of ``spec``'s table."""
    fields = [pa.field(c, ARROW_TYPES[spec.types[c]]) for c in spec.output_columns]
    return pa.schema([*fields, *PROVENANCE_FIELDS], metadata={"form_id": spec.form_id})


def build_table(spec: FormSpec, rows: Sequence[TypedRow], area_code: str | None) -> pa.Table:
    """One Arrow table from typed rows (no floats anywhere: decimals go in as ``decimal.Decimal``)."""
    schema = arrow_schema(spec)
    columns: dict[str, list[object]] = {c: [row.values.get(c) for row in rows] for c in spec.output_columns}
    columns["area_code"] = [area_code] * len(rows)
    columns["source_line"] = [row.line for row in rows]
    columns["extra"] = [json.dumps(row.extra, ensure_ascii=False) if row.extra else None for row in rows]
    arrays = [pa.array(columns[f.name], type=f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)
