"""Re-downloads of a CSV form saved by hand: a newer download replaces the earlier one, history kept.

CSV forms have no revision number: a file with the same name and other content is a newer download.
"Newer" is the creation time the file carries (作成日時), else the later ingest. A header-only
re-download never empties a month, and a header-only form naming no month is filed under none.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from core.paths import WarehouseLayout
from sample_data.csv_forms import FileVariant, file_name, generate_demand_breakdown, render_demand_breakdown
from tests.test_csv_forms_cut_rows import cut_mid_last_row
from warehouse.ingest import ingest
from warehouse.runs import FileReport, sources_for

pytestmark = pytest.mark.slow  # each test loads forms into a warehouse twice

MONTH = date(2024, 4, 1)
AREA = "09"
NAME = file_name("contract_demand_breakdown", AREA, MONTH)
UTF8 = FileVariant(encoding="utf-8", newline="\n")


def form2(seed: int, *, points: int = 2, created: str | None = None) -> bytes:
    rows = generate_demand_breakdown(AREA, MONTH, seed=seed, points=points) if points else []
    data = render_demand_breakdown(rows, UTF8, area=AREA, billing_month=MONTH)
    title = f"契約電力算定結果内訳\n作成日時,{created}\n".encode() if created else b""
    return title + data


def save(folder: Path, data: bytes, name: str = NAME) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def load(layout: WarehouseLayout, path: Path) -> FileReport:
    [fr] = ingest(sources_for([path], None, "default"), layout, workers=1).files
    return fr


def q(layout: WarehouseLayout, sql: str) -> list[tuple]:
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as con:
        return con.execute(sql).fetchall()


def current_kw(layout: WarehouseLayout) -> list[tuple]:
    return sorted(q(layout, "SELECT supply_point_id, lookback_month, max_demand_kw FROM contract_demand_breakdown"))


@pytest.fixture
def layout(tmp_path: Path) -> WarehouseLayout:
    return WarehouseLayout(tmp_path / "wh")


def test_the_same_name_with_other_content_is_a_newer_download(layout: WarehouseLayout, tmp_path: Path) -> None:
    first = load(layout, save(tmp_path / "monday", form2(seed=1)))
    earlier = current_kw(layout)
    second = load(layout, save(tmp_path / "tuesday", form2(seed=2)))

    assert (first.status, second.status) == ("loaded", "loaded"), second.message
    assert current_kw(layout) != earlier
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as con:
        files = con.execute("SELECT count(DISTINCT file_id) FROM contract_demand_breakdown_history").fetchone()[0]
        shown = con.execute("SELECT count(DISTINCT file_id) FROM contract_demand_breakdown").fetchone()[0]
    assert (files, shown) == (2, 1)  # history keeps both downloads; the view shows the newer
    kept = sorted(p.read_bytes() for p in (layout.raw / AREA / "default").rglob("*") if p.is_file())
    assert kept == sorted([form2(seed=1), form2(seed=2)])  # raw keeps both byte for byte


def test_the_creation_time_the_file_carries_decides_which_is_newer(layout: WarehouseLayout, tmp_path: Path) -> None:
    load(layout, save(tmp_path / "a", form2(seed=1, created="2024/05/12 10:00")))
    newer = current_kw(layout)
    fr = load(layout, save(tmp_path / "b", form2(seed=2, created="2024/05/10 09:00")))  # loaded later, made earlier

    assert fr.status == "loaded"
    assert current_kw(layout) == newer
    [(downloaded,)] = q(layout, f"SELECT max(downloaded_at) FROM ingested_files WHERE file_name = '{NAME}'")
    assert str(downloaded) == "2024-05-12 01:00:00"  # 10:00 JST in UTC


def test_a_header_only_re_download_never_empties_a_month(layout: WarehouseLayout, tmp_path: Path) -> None:
    load(layout, save(tmp_path / "a", form2(seed=1)))
    before = current_kw(layout)

    fr = load(layout, save(tmp_path / "b", form2(seed=1, points=0)))

    assert (fr.status, fr.rows) == ("loaded", 0)
    assert current_kw(layout) == before
    [(warnings,)] = q(layout, f"SELECT warnings FROM ingested_files WHERE rows = 0 AND file_name = '{NAME}'")
    assert "CSV035" in warnings and "2024-04" in warnings


def test_a_header_only_form_without_a_month_is_filed_under_no_month(layout: WarehouseLayout, tmp_path: Path) -> None:
    path = save(tmp_path / AREA, form2(seed=1, points=0), name="contract_demand_breakdown.csv")

    fr = load(layout, path)

    assert (fr.status, fr.rows) == ("loaded", 0), fr.message
    assert q(layout, "SELECT target_month FROM ingested_files") == [(None,)]
    assert list((layout.datasets / "forms").rglob("*.parquet")) == []


def test_a_re_download_cut_short_is_rejected_and_the_earlier_one_stays(layout: WarehouseLayout, tmp_path: Path) -> None:
    load(layout, save(tmp_path / "a", form2(seed=1)))
    before = current_kw(layout)

    fr = load(layout, save(tmp_path / "b", cut_mid_last_row(form2(seed=2))))

    assert fr.status == "rejected" and "CSV024" in fr.message
    assert current_kw(layout) == before
