"""What the committed runs loaded, from their markers (``warehouse.runs``): the quick answer a re-run
gives before anything heavy is imported must be the ledger's answer, or no answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.paths import WarehouseLayout
from warehouse.ingest import ingest
from warehouse.runs import ALREADY_LOADED, Source, all_loaded, sources_for

pytestmark = pytest.mark.slow  # one small ingest


@pytest.fixture(scope="module")
def loaded(sample_bp: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[WarehouseLayout, list[Path]]:
    files = sorted((sample_bp / "03").glob("*.zip"))[:3]
    layout = WarehouseLayout(tmp_path_factory.mktemp("runs") / "wh")
    ingest(sources_for(files[:2], None, "default"), layout, workers=1)
    return layout, files


def test_files_all_loaded_are_reported_skipped_in_their_order(loaded: tuple[WarehouseLayout, list[Path]]) -> None:
    layout, files = loaded
    report = all_loaded(sources_for([files[1], files[0], files[1]], None, "default"), layout)
    assert report is not None
    assert [(f.file_name, f.status, f.message) for f in report.files] == [
        (files[1].name, "skipped", ALREADY_LOADED), (files[0].name, "skipped", ALREADY_LOADED),
        (files[1].name, "skipped", ALREADY_LOADED),
    ]  # fmt: skip


def test_one_file_not_loaded_gives_no_answer(loaded: tuple[WarehouseLayout, list[Path]]) -> None:
    layout, files = loaded
    assert all_loaded(sources_for(files, None, "default"), layout) is None  # the run goes on, reports every file


def test_the_same_bytes_said_to_be_of_another_area_or_account_are_another_file(
    loaded: tuple[WarehouseLayout, list[Path]], tmp_path: Path
) -> None:
    layout, files = loaded
    assert all_loaded([Source(files[0], "05")], layout) is None
    assert all_loaded([Source(files[0], None, account="other")], layout) is None
    assert all_loaded([Source(files[0], "03")], layout) is not None  # what the file said when it loaded
    flat = Path(shutil.copy(files[0], tmp_path / files[0].name))
    assert all_loaded(sources_for([flat], None, "default"), layout) is not None


def test_no_warehouse_or_a_stale_catalog_gives_no_answer(
    loaded: tuple[WarehouseLayout, list[Path]], tmp_path: Path
) -> None:
    layout, files = loaded
    assert all_loaded(sources_for(files[:1], None, "default"), WarehouseLayout(tmp_path / "none")) is None
    copy = WarehouseLayout(Path(shutil.copytree(layout.root, tmp_path / "wh")))
    copy.duckdb_file.unlink()
    assert all_loaded(sources_for(files[:1], None, "default"), copy) is None
