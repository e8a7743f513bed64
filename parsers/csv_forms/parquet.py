"""Parquet input for the alias-mapped layouts (Parquetの読込): the same reader as for CSV.

A Parquet file (for example a contract register exported from the retailer's own systems) is turned
into CSV text, its column names as the header row and every value as text (decimals exact, dates ISO),
then read exactly like a CSV file: aliases, value maps, types, rule ids. Line *n* of a problem is data
row *n* − 1 of the Parquet file (line 1 is the header).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

PARQUET_SUFFIX = ".parquet"
PARQUET = "parquet"  # recorded as the file's encoding
BATCH_ROWS = 10_000


def is_parquet(path: Path) -> bool:
    """True for a ``.parquet`` file."""
    return Path(path).suffix.lower() == PARQUET_SUFFIX


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def parquet_as_csv_text(path: Path) -> str:
    """The Parquet file as CSV text (header row, then one line per row), read in batches."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    parquet = pq.ParquetFile(path)
    writer.writerow(parquet.schema_arrow.names)
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        for row in zip(*columns, strict=True):
            writer.writerow([_cell(v) for v in row])
    return out.getvalue()
