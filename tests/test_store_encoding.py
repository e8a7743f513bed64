"""History Parquet: a current-day file's point ids are delta-encoded, the others keep a dictionary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.store import StagedParquet


def _rows(slots: list[int], points: int) -> pa.Table:
    ids = [f"03{i:020d}" for i in range(points)]
    return pa.table(
        {
            "supply_point_id": [p for _ in slots for p in ids],
            "kwh": pa.array([Decimal("1.5")] * (len(slots) * points), pa.decimal128(18, 6)),
            "slot": pa.array([s for s in slots for _ in ids], pa.int8()),
            "usage_date": pa.array([date(2024, 4, 1)] * (len(slots) * points), pa.date32()),
        }
    )


def _write(tmp_path: Path, table: pa.Table) -> tuple[Path, set[str]]:
    staged = StagedParquet(tmp_path / "f.parquet")
    staged.add(table)
    path = staged.close()
    assert path is not None
    column = pq.ParquetFile(path).metadata.row_group(0).column(0)
    assert column.path_in_schema == "supply_point_id"
    return path, set(column.encodings)


def test_one_slot_of_many_points_delta_encodes_the_ids(tmp_path: Path) -> None:
    table = _rows([5], 10_000)
    path, encodings = _write(tmp_path, table)
    assert "DELTA_BYTE_ARRAY" in encodings and "RLE_DICTIONARY" not in encodings
    assert pq.read_table(path).equals(table)
    ids = pq.ParquetFile(path).metadata.row_group(0).column(0).total_compressed_size
    assert ids < 10_000 // 4  # a quarter of a byte per id, against 2-3 bytes in a dictionary


def test_a_day_of_slots_keeps_the_dictionary(tmp_path: Path) -> None:
    _, encodings = _write(tmp_path, _rows([1, 2, 3], 100))
    assert "RLE_DICTIONARY" in encodings
