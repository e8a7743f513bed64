"""Personal data at rest (個人情報): what an analyst's account can read holds no customer id, name or address.

An analyst is another user (in the operator's group or not): a file is theirs to read when its group or
other read bit is set and every folder above it (inside the warehouse) lets them through.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import duckdb
import pytest

from core.paths import WarehouseLayout
from sample_data.bp import write_area
from tests.conftest import SAMPLE_MONTH, write_xml, xml_of
from warehouse.catalog import connect_personal
from warehouse.ingest import ingest
from warehouse.runs import sources_for
from warehouse.views import PERSONAL_COLUMNS

pytestmark = pytest.mark.slow  # the module's warehouse takes seconds to load

OTHERS_READ = stat.S_IRGRP | stat.S_IROTH
OTHERS_ENTER = stat.S_IXGRP | stat.S_IXOTH


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> WarehouseLayout:
    """Monthly usage (with customer names and addresses) loaded, and one broken file quarantined."""
    gen = tmp_path_factory.mktemp("gen")
    files = [
        f for f in write_area(gen / "03", "03", SAMPLE_MONTH, seed=2, low_points=2, high_points=1) if "W5" in f.name
    ]
    broken = write_xml(gen / "03", files[0].name, xml_of(files[0]).replace(b"</SBD-MSG>", b""))
    layout = WarehouseLayout(tmp_path_factory.mktemp("wh"))
    umask = os.umask(0o022)  # a usual umask: what is not made private on purpose is readable by others
    try:
        report = ingest(sources_for([*files, broken], None, "default"), layout, workers=1)
    finally:
        os.umask(umask)
    assert report.count("loaded") == len(files) and report.count("rejected") == 1
    return layout


def analyst_readable(root: Path) -> list[Path]:
    """Every file under ``root`` that a user other than the owner can reach and read."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if os.stat(Path(folder) / d).st_mode & OTHERS_ENTER]
        found += [Path(folder) / f for f in files if os.stat(Path(folder) / f).st_mode & OTHERS_READ]
    return found


def test_read_parquet_over_everything_analysts_can_read_finds_no_personal_column(
    warehouse: WarehouseLayout,
) -> None:
    parquet = [str(p) for p in analyst_readable(warehouse.root) if p.suffix == ".parquet"]
    assert any("/points/" in p for p in parquet)  # the analysts' point records are there, without the names
    with duckdb.connect() as con:
        columns = {
            r[0]
            for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?, union_by_name = true)", [parquet]).fetchall()
        }
    assert not set(PERSONAL_COLUMNS) & columns
    assert "monthly_kwh" in columns


def test_original_files_and_personal_data_are_the_operators_only(warehouse: WarehouseLayout) -> None:
    for folder in (warehouse.raw, warehouse.quarantine, warehouse.personal, warehouse.staging):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    personal = list(warehouse.personal.rglob("*.parquet"))
    assert personal and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in personal)
    reachable = analyst_readable(warehouse.root)
    assert not [p for p in reachable if p.suffix in (".zip", ".xml") or p.name.endswith(".reason.txt")]
    assert warehouse.personal_duckdb_file not in reachable


def test_the_owner_still_reads_the_customers_from_the_personal_catalog(warehouse: WarehouseLayout) -> None:
    with connect_personal(warehouse) as con:
        [(points, named, addressed)] = con.execute(
            "SELECT count(*), count(customer_name), count(supply_address) FROM supply_point_customers"
        ).fetchall()
    assert points > 0 and named == points and addressed > 0


def test_an_existing_warehouse_gets_its_private_folders_narrowed(tmp_path: Path) -> None:
    layout = WarehouseLayout(tmp_path / "wh")
    layout.raw.mkdir(parents=True, mode=0o755)
    os.chmod(layout.raw, 0o755)

    layout.make_private_folders()

    assert stat.S_IMODE(layout.raw.stat().st_mode) == 0o700
