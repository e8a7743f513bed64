"""The area of a file saved by hand, without ``--area`` or an area folder: the file says it.

Sources of a file's area (warehouse contract, ``takuso ingest``): ``--area``, a folder ``01``..``10`` on
its path, the file itself (a BP header's sender code, the supply point ids' prefix; a CSV form's point
ids). Where two disagree the file is rejected with both named; an unknown area never hides the file's
own errors.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from core.paths import WarehouseLayout
from sample_data.bp import write_area
from sample_data.csv_forms import write_csv_forms
from takuso.commands.validate import run_validate
from tests.conftest import SAMPLE_MONTH, write_xml, xml_of
from warehouse.ingest import ingest
from warehouse.runs import sources_for

pytestmark = pytest.mark.slow  # each test loads files into a warehouse

AREAS = ("03", "06")


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """A few BP files of areas 03 and 06, each area's saved flat in a folder that names no area."""
    root = tmp_path_factory.mktemp("generated")
    out: dict[str, list[Path]] = {}
    for area in AREAS:
        files = sorted(write_area(root / area, area, SAMPLE_MONTH, seed=5, low_points=2, high_points=1))
        picked = [f for f in files if f.name.startswith("W5")] + [f for f in files if f.name.startswith("W4")][:3]
        flat = tmp_path_factory.mktemp(f"Downloads-{area}-")
        out[area] = [Path(shutil.copy(f, flat / f.name)) for f in picked]
    return out


def q(layout: WarehouseLayout, sql: str) -> list[tuple]:
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_files_saved_flat_load_into_the_area_their_header_names(
    downloads: dict[str, list[Path]], tmp_path: Path
) -> None:
    layout = WarehouseLayout(tmp_path / "wh")
    files = [f for area in AREAS for f in downloads[area]]

    report = ingest(sources_for(files, None, "default"), layout, workers=1)

    assert [f.message for f in report.files if f.status != "loaded"] == []
    for area in AREAS:
        names = {f.name for f in downloads[area]}
        got = {a for a, n in q(layout, "SELECT area_code, file_name FROM ingested_files") if n in names}
        assert area in got
    assert {a for (a,) in q(layout, "SELECT DISTINCT area_code FROM monthly_usage")} == set(AREAS)
    prefixes = q(layout, "SELECT DISTINCT area_code, left(supply_point_id, 2) FROM interval_usage")
    assert sorted(prefixes) == [(a, a) for a in AREAS]
    assert (layout.raw / "03" / "default").is_dir() and not (layout.raw / "unknown").exists()

    again = ingest(sources_for(files, None, "default"), layout, workers=1)  # the same files: skipped
    assert {f.status for f in again.files} == {"skipped"}


def test_validate_takes_the_area_from_the_file_too(downloads: dict[str, list[Path]]) -> None:
    assert run_validate(downloads["06"][:2]) == 0


def _mutated(downloads: dict[str, list[Path]], tmp_path: Path, edit) -> Path:
    src = next(f for f in downloads["03"] if f.name.startswith("W5"))
    return write_xml(tmp_path / "Downloads", src.name, edit(xml_of(src)))


def test_a_sender_of_another_area_than_the_points_is_rejected_with_both_named(
    downloads: dict[str, list[Path]], tmp_path: Path
) -> None:
    path = _mutated(downloads, tmp_path, lambda x: x.replace(b"<JP06110>10063<", b"<JP06110>10064<"))
    layout = WarehouseLayout(tmp_path / "wh")

    [fr] = ingest(sources_for([path], None, "default"), layout, workers=1).files

    assert fr.status == "rejected"
    assert "BP027" in fr.message
    assert "sender code 10064 in its header says 04" in fr.message
    assert "its supply point ids" in fr.message and "says 03" in fr.message


def test_an_area_option_the_header_contradicts_is_rejected(downloads: dict[str, list[Path]], tmp_path: Path) -> None:
    path = downloads["03"][0]
    layout = WarehouseLayout(tmp_path / "wh")

    [fr] = ingest(sources_for([path], "04", "default"), layout, workers=1).files

    assert fr.status == "rejected"
    assert "--area says 04" in fr.message and "sender code 10063" in fr.message


def test_an_area_option_and_an_area_folder_that_disagree_are_rejected(
    downloads: dict[str, list[Path]], tmp_path: Path
) -> None:
    (tmp_path / "03").mkdir()
    path = Path(shutil.copy(downloads["03"][0], tmp_path / "03"))
    layout = WarehouseLayout(tmp_path / "wh")

    [fr] = ingest(sources_for([path], "05", "default"), layout, workers=1).files

    assert fr.status == "rejected"
    assert "--area says 05" in fr.message and "the folder 03 on its path says 03" in fr.message


def test_an_unknown_area_is_said_after_the_files_own_errors(downloads: dict[str, list[Path]], tmp_path: Path) -> None:
    def no_area(xml: bytes) -> bytes:
        xml = xml.replace(b"<JP06110>10063<", b"<JP06110>99999<")  # no TSO's code
        return re.sub(rb"<JP06400>03", b"<JP06400>99", xml)  # no area's prefix, and invalid ids

    path = _mutated(downloads, tmp_path, no_area)
    layout = WarehouseLayout(tmp_path / "wh")

    [fr] = ingest(sources_for([path], None, "default"), layout, workers=1).files

    assert fr.status == "rejected"
    rules = re.findall(r"error (BP\d{3})", fr.message)
    assert rules[-1] == "BP027" and len(rules) > 1, fr.message  # the file's own errors come first
    assert "area of the file is unknown" in fr.message


def test_a_csv_form_saved_without_an_area_in_its_name_loads_into_its_points_area(tmp_path: Path) -> None:
    [form2] = [
        p
        for p in write_csv_forms(tmp_path / "gen", areas=["09"], billing_month=date(2024, 4, 1), seed=2)
        if p.name.startswith("contract_demand_breakdown")
    ]
    flat = tmp_path / "Downloads" / "契約電力算定結果内訳.csv"
    flat.parent.mkdir()
    shutil.copy(form2, flat)
    layout = WarehouseLayout(tmp_path / "wh")

    [fr] = ingest(sources_for([flat], None, "default"), layout, workers=1).files

    assert (fr.status, fr.area_code) == ("loaded", "09"), fr.message
    assert q(layout, "SELECT DISTINCT area_code FROM contract_demand_breakdown") == [("09",)]


def test_the_area_is_read_from_the_start_of_the_file_only(downloads: dict[str, list[Path]], tmp_path: Path) -> None:
    """The sender code and the first point id come first: what follows them is never read for the area (a
    long file costs no more to ask, and a broken tail does not hide the claims of a sound start)."""
    from parsers.bp_xml.area import FEED_BYTES, claims_in_file

    xml = xml_of(next(f for f in downloads["06"] if f.name.startswith("W4")))
    start = xml.index(b"<JPMR00010>")
    record = xml[start : xml.index(b"</JPMR00010>") + len(b"</JPMR00010>")]
    long = xml[:start] + record * (4 * FEED_BYTES // len(record))  # the file goes on, then breaks off
    broken = write_xml(tmp_path, downloads["06"][0].name, long + b"<<not xml" * FEED_BYTES)
    assert [c.area for c in claims_in_file(broken)] == ["06", "06"]
