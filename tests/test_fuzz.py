"""Fuzzing ingest with mutated valid files: never a traceback, never a partial load.

Valid files from the sample generator are mutated (byte flips, truncation, element duplication and
deletion, value swaps, encoding swaps, zipped or not) and ingested into a fresh warehouse. Whatever the
mutation, ``ingest`` returns a report, and the file is either loaded with exactly the rows a clean parse
of the same bytes gives, or rejected with nothing of it visible in any dataset.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.paths import WarehouseLayout
from parsers.bp_xml.engine import Sink, parse_bp_file
from parsers.bp_xml.filename import parse_bp_filename
from parsers.csv_forms import read_form
from sample_data.bp import write_area
from tests.conftest import xml_of
from warehouse.ingest import ingest
from warehouse.runs import Source

CSV_SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "small" / "csv" / "02"
ZIP_TIME = (2024, 5, 1, 3, 0, 0)
VALUES = ["", " ", "0", "-1", "01", "49", "1.0000001", "NaN", "１２", "x" * 300, "&amp;", "]]>", "20240230", "長"]


@dataclass(frozen=True)
class Base:
    name: str  # as served (.zip for BP, .csv for CSV forms)
    area: str
    data: bytes  # the XML document (BP) or the file (CSV)
    codec: str


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> list[Base]:
    tmp = tmp_path_factory.mktemp("fuzz")
    out: list[Base] = []
    for area, codec in (("01", "utf-8"), ("08", "cp932"), ("03", "utf-8")):
        write_area(tmp / area, area, date(2024, 4, 1), seed=5, low_points=2, high_points=1)
        for name in ("W41120202404020000000000.zip", "W401202024040200000000.zip"):
            out.append(Base(name, area, xml_of(tmp / area / name), codec))
    cut = xml_of(tmp / "01" / "W51320202404150000000.zip")
    out.append(Base("W51320202404150000000.zip", "01", cut, "utf-8"))
    csv = CSV_SAMPLE / "contract_demand_breakdown_02_202510.csv"
    out.append(Base(csv.name, "02", b"\n".join(csv.read_bytes().splitlines()[:6]) + b"\n", "utf-8-sig"))
    return out


# ------------------------------------------------------------------------------------------ mutations

_LEAF = re.compile(rb"<(JP\w+)>[^<]*</\1>")
_RECORD = re.compile(rb"<(JPMR\d+)>.*?</\1>", re.S)


@st.composite
def mutated(draw: st.DrawFn, bases: list[Base]) -> tuple[Base, bytes, bool]:
    """(base, mutated bytes, zip it?) after one to three mutations."""
    base = draw(st.sampled_from(bases))
    data = base.data
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["flip", "truncate", "duplicate", "delete", "value", "encoding"]))
        data = _mutate(draw, how, data, base)
    as_zip = base.name.endswith(".zip") and draw(st.booleans())
    return base, data, as_zip


def _pick(draw: st.DrawFn, matches: list[re.Match[bytes]]) -> re.Match[bytes] | None:
    return draw(st.sampled_from(matches)) if matches else None


def _mutate(draw: st.DrawFn, how: str, data: bytes, base: Base) -> bytes:
    if not data:
        return data
    if how == "flip":
        buf = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, len(buf) - 1))
            buf[at] ^= draw(st.integers(1, 255))
        return bytes(buf)
    if how == "truncate":
        return data[: draw(st.integers(0, len(data) - 1))]
    if base.name.endswith(".csv"):
        lines = data.split(b"\n")
        i = draw(st.integers(0, len(lines) - 1))
        if how == "duplicate":
            return b"\n".join(lines[: i + 1] + lines[i:])
        if how == "delete":
            return b"\n".join(lines[:i] + lines[i + 1 :])
        if how == "value":
            cells = lines[i].split(b",")
            cells[draw(st.integers(0, len(cells) - 1))] = draw(st.sampled_from(VALUES)).encode()
            lines[i] = b",".join(cells)
            return b"\n".join(lines)
        return data.decode("utf-8-sig", errors="replace").encode(draw(st.sampled_from(["cp932", "utf-16"])), "replace")
    if how in ("duplicate", "delete"):
        pattern = draw(st.sampled_from([_LEAF, _RECORD]))
        m = _pick(draw, list(pattern.finditer(data)))
        if m is None:
            return data
        middle = m.group(0) * 2 if how == "duplicate" else b""
        return data[: m.start()] + middle + data[m.end() :]
    if how == "value":
        m = _pick(draw, list(_LEAF.finditer(data)))
        if m is None:
            return data
        tag = m.group(1)
        value = draw(st.sampled_from(VALUES)).encode(base.codec, "replace")
        return data[: m.start()] + b"<" + tag + b">" + value + b"</" + tag + b">" + data[m.end() :]
    # encoding swap: re-encode, keeping or fixing the declaration
    try:
        text = data.decode(base.codec)
    except UnicodeDecodeError:
        return data
    target = draw(st.sampled_from(["utf-8", "cp932", "utf-16", "euc-jp"]))
    if draw(st.booleans()):
        label = {"utf-8": "UTF-8", "cp932": "Shift_JIS", "utf-16": "UTF-16", "euc-jp": "EUC-JP"}[target]
        text = re.sub(r'encoding="[^"]*"', f'encoding="{label}"', text, count=1)
    return text.encode(target, "replace")


def _write(folder: Path, base: Base, data: bytes, as_zip: bool) -> Path:
    if base.name.endswith(".csv"):
        path = folder / base.name
        path.write_bytes(data)
        return path
    if not as_zip:
        path = folder / base.name.replace(".zip", ".xml")
        path.write_bytes(data)
        return path
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo(base.name.replace(".zip", ".xml"), date_time=ZIP_TIME), data)
    path = folder / base.name
    path.write_bytes(buf.getvalue())
    return path


# ---------------------------------------------------------------------------------------- clean parse


class _Collect(Sink):
    def __init__(self) -> None:
        self.intervals: list[pa.Table] = []
        self.point_rows = 0

    def interval(self, table: pa.Table) -> None:
        self.intervals.append(table)

    def points(self, table: pa.Table) -> None:
        self.point_rows += table.num_rows


def clean_rows(path: Path, area: str) -> tuple[list[tuple], int] | None:
    """The interval rows (point, slot, kWh) and point-record count a clean parse gives, or None if invalid."""
    if path.suffix == ".csv":
        result = read_form(path, area)
        return ([], result.table.num_rows) if result.ok and result.table is not None else None
    sink = _Collect()
    outcome = parse_bp_file(path, parse_bp_filename(path.name), area_code=area, sink=sink)
    if not outcome.ok:
        return None
    rows = [
        (r["supply_point_id"], r.get("usage_date"), r["slot"], r["kwh"])
        for t in sink.intervals
        for r in t.select(
            [c for c in ("supply_point_id", "usage_date", "slot", "kwh") if c in t.column_names]
        ).to_pylist()
    ]
    return sorted(rows, key=repr), sink.point_rows


def visible(layout: WarehouseLayout, file_id: int) -> tuple[list[tuple], int]:
    """What the warehouse's datasets hold of ``file_id``: interval rows and point/form rows."""
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as con:
        rows: list[tuple] = []
        for ds in ("ds_interval_preliminary", "ds_interval_confirmed", "ds_interval_cut"):
            rows += con.execute(
                f"SELECT supply_point_id, usage_date, slot, kwh FROM internal.{ds} WHERE file_id = ?", [file_id]
            ).fetchall()
        others = 0
        for ds in ("ds_points", "ds_contract_demand_breakdown", "ds_generator_allocated_energy",
                   "ds_curtailment_discounts"):  # fmt: skip
            others += con.execute(f"SELECT count(*) FROM internal.{ds} WHERE file_id = ?", [file_id]).fetchone()[0]
    return sorted(rows, key=repr), others


def _normal(rows: list[tuple]) -> list[tuple]:
    return [(p, d, int(s) if s is not None else None, Decimal(k) if k is not None else None) for p, d, s, k in rows]


# ---------------------------------------------------------------------------------------------- test


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_mutated_files_load_whole_or_not_at_all(bases: list[Base], data: st.DataObject) -> None:
    base, content, as_zip = data.draw(mutated(bases))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = _write(folder, base, content, as_zip)
        layout = WarehouseLayout(folder / "wh")
        report = ingest([Source(path, base.area)], layout, workers=1)  # never raises
        [fr] = report.files
        assert fr.status in ("loaded", "rejected")
        event(f"{fr.status} {re.findall(r'(?:BP|CSV)0[0-9][0-9]', fr.message)[:1]}")
        ledger = duckdb.connect(str(layout.duckdb_file), read_only=True)
        [(file_id,)] = ledger.execute("SELECT file_id FROM ingested_files").fetchall()
        ledger.close()
        rows, others = visible(layout, file_id)
        if fr.status == "rejected":
            assert fr.message and (rows, others) == ([], 0), "a rejected file left rows behind"
            assert (layout.quarantine / base.area / path.name).read_bytes() == content or as_zip
            assert not list(layout.datasets.rglob(f"{file_id}.parquet"))
        else:
            expected = clean_rows(path, base.area)
            assert expected is not None, "loaded, but a clean parse of the same bytes finds errors"
            assert _normal(rows) == _normal(expected[0])
            assert others == expected[1]
            assert fr.rows == len(rows) + others
