"""The store of record: append-only Parquet datasets, the file ledger and committed runs.

Layout under ``WAREHOUSE/parquet``::

    interval_preliminary/area_code=03/usage_month=2024-04/<file_id>.parquet   30分電力量 (W4)
    interval_confirmed/area_code=03/target_month=2024-04/<file_id>.parquet    確定使用量 slots (W5 12xx)
    interval_cut/area_code=03/target_month=2024-04/<file_id>.parquet          slots of W5 13xx/14xx
    points/kind=monthly_usage/area_code=03/target_month=2024-04/<file_id>.parquet
    forms/form_id=contract_demand_breakdown/area_code=03/month=2024-04/<file_id>.parquet
    ledger/<run_id>.parquet      one row per file a run looked at (ingested_files)
    runs/<run_id>.json           commit marker: the run's files are part of the warehouse

Every data file belongs to one source file (``file_id``, from its sha256) and is written once: staged,
then renamed into place. Nothing is ever updated; the "current" values are derived in the views. A run
becomes visible only when its marker exists and the catalog is rebuilt, so a crashed run leaves files no
view can see, and re-running it writes the same files again (same ``file_id``, same content).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from core.files import atomic_write_bytes, fsync_dir
from core.paths import WarehouseLayout

ROW_GROUP_ROWS = 1 << 18  # big row groups (one dictionary of point ids per 256 Ki values), bounded memory
PARQUET_OPTIONS = {
    "compression": "zstd",
    "compression_level": 6,
    "store_decimal_as_integer": True,  # DECIMAL(18,6) as INT64: 8 bytes before compression, not 16
    "use_dictionary": True,
    "write_statistics": True,
}


def parquet_options(table: pa.Table) -> dict:
    """The writer's options for a file whose first rows are ``table``.

    A file of one slot of many points (当日, one 30-minute slot per file) holds each point id once, so a
    dictionary of them saves nothing: the ids are delta-encoded instead (the prefix they share with the
    previous id is stored once), about a twentieth of the bytes for ids in ascending order.
    """
    import pyarrow.compute as pc  # here, not at import: a re-ingest that loads nothing never needs it

    names = table.column_names
    if table.num_rows > 1 and "supply_point_id" in names and "slot" in names:
        bounds = pc.min_max(table["slot"])
        if bounds["min"] == bounds["max"]:
            dictionary = [c for c in names if c != "supply_point_id"]
            ids = {"column_encoding": {"supply_point_id": "DELTA_BYTE_ARRAY"}}
            return PARQUET_OPTIONS | {"use_dictionary": dictionary} | ids
    return PARQUET_OPTIONS


def month_dir(d: date) -> str:
    return d.strftime("%Y-%m")


class StagedParquet:
    """A Parquet file written in big row groups while a file is parsed (memory stays bounded)."""

    def __init__(self, path: Path, constants: dict[str, pa.Scalar] | None = None) -> None:
        self.path = path
        self.constants = constants or {}
        self.rows = 0
        self._parts: list[pa.Table] = []
        self._buffered = 0
        self._writer: pq.ParquetWriter | None = None

    def add(self, table: pa.Table) -> None:
        for name, value in self.constants.items():
            table = table.append_column(name, pa.array([value.as_py()] * table.num_rows, value.type))
        self._parts.append(table)
        self._buffered += table.num_rows
        self.rows += table.num_rows
        if self._buffered >= ROW_GROUP_ROWS:
            self._write()

    def _write(self) -> None:
        if not self._parts:
            return
        table = pa.concat_tables(self._parts)
        self._parts, self._buffered = [], 0
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, table.schema, **parquet_options(table))
        self._writer.write_table(table, row_group_size=ROW_GROUP_ROWS)

    def close(self) -> Path | None:
        """Finish the file; None when no row was ever added (no file is written)."""
        self._write()
        if self._writer is None:
            return None
        self._writer.close()
        return self.path


def publish(staged: Path, target: Path) -> None:
    """Move a staged file into its dataset partition (same file system: an atomic rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, target)


@dataclass
class RunLedger:
    """The rows a run adds to ``ingested_files``, written as one Parquet file at commit."""

    run_id: str
    rows: list[dict] = field(default_factory=list)


LEDGER_SCHEMA = pa.schema(
    [
        ("file_id", pa.int64()),
        ("file_name", pa.string()),
        ("area_code", pa.string()),
        ("download_account", pa.string()),
        ("kind", pa.string()),
        ("bp_id", pa.string()),
        ("voltage", pa.string()),
        ("target_date", pa.date32()),
        ("target_month", pa.date32()),
        ("file_time", pa.string()),
        ("revision", pa.int16()),
        ("section", pa.int32()),
        ("sha256", pa.string()),
        ("bytes", pa.int64()),
        ("status", pa.string()),
        ("rows", pa.int64()),
        ("error", pa.string()),
        ("warnings", pa.string()),
        ("info_kind_code", pa.string()),
        ("file_info_kind_code", pa.string()),
        ("sender_code", pa.string()),
        ("receiver_code", pa.string()),
        ("xml_encoding", pa.string()),
        ("xml_namespace", pa.string()),
        ("header_items", pa.string()),
        ("raw_path", pa.string()),
        ("downloaded_at", pa.timestamp("s")),
        ("ingested_at", pa.timestamp("us")),
        ("run_id", pa.string()),
    ]
)


def write_ledger(layout: WarehouseLayout, ledger: RunLedger) -> Path | None:
    if not ledger.rows:
        return None
    table = pa.Table.from_pylist(ledger.rows, schema=LEDGER_SCHEMA)
    path = layout.datasets / "ledger" / f"{ledger.run_id}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)
    return path


def commit_run(layout: WarehouseLayout, run_id: str, summary: dict) -> None:
    """Write the run's commit marker: from now on its files belong to the warehouse.

    The marker records ``committed_at`` (UTC): the warehouse as of a past moment holds the runs
    committed by then.
    """
    marker = layout.datasets / "runs" / f"{run_id}.json"
    summary = {**summary, "committed_at": datetime.now(UTC).replace(tzinfo=None).isoformat()}
    atomic_write_bytes(marker, json.dumps(summary, default=str).encode())
    fsync_dir(marker.parent)  # the rename itself must survive a power cut


def committed_ledgers(layout: WarehouseLayout) -> list[Path]:
    """Ledger files of committed runs only (a crashed run has a ledger file but no marker, or neither)."""
    runs = layout.datasets / "runs"
    if not runs.exists():
        return []
    out = []
    for marker in sorted(runs.glob("*.json")):
        ledger = layout.datasets / "ledger" / f"{marker.stem}.parquet"
        if ledger.exists():
            out.append(ledger)
    return out


def runs_committed_by(layout: WarehouseLayout, moment: datetime) -> list[str]:
    """The runs committed at or before ``moment`` (UTC, naive), oldest first.

    A marker without ``committed_at`` (written before it was recorded) counts from its run id's time.
    """
    runs = layout.datasets / "runs"
    out = []
    for marker in sorted(runs.glob("*.json")) if runs.exists() else ():
        try:
            committed = datetime.fromisoformat(json.loads(marker.read_bytes())["committed_at"])
        except (KeyError, ValueError, TypeError):
            committed = datetime.strptime(marker.stem[:15], "%Y%m%dT%H%M%S")
        if committed <= moment:
            out.append(marker.stem)
    return out


def read_committed_ledger(layout: WarehouseLayout, columns: Iterable[str] | None = None) -> pa.Table:
    paths = committed_ledgers(layout)
    if not paths:
        return LEDGER_SCHEMA.empty_table()
    # ParquetFile, not read_table: the dataset layer behind read_table imports pandas (half a second per run)
    return pa.concat_tables([pq.ParquetFile(p).read(columns=list(columns) if columns else None) for p in paths])
