"""Crash consistency: a killed ingest, re-run, leaves the warehouse equal to a clean run (see bench/crash.py)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from bench.crash import crash_trials, make_input, print_table
from core.paths import WarehouseLayout
from sample_data.bp import write_area
from tests.corpus.digest import view_digests
from warehouse.ingest import ingest
from warehouse.runs import sources_for

pytestmark = pytest.mark.slow  # kills real processes


@pytest.fixture(scope="module")
def small_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One area, one point per voltage: every BP kind and the CSV forms, per-day files of three days only."""
    folder = make_input(tmp_path_factory.mktemp("crash") / "input", areas=("01",), low_points=1, high_points=1)
    for path in (folder / "01").iterdir():
        per_day = path.name.startswith(("W40120", "W41120"))
        if per_day and path.name[6:14] not in ("20240401", "20240402", "20240403"):
            path.unlink()
    return folder


def test_killed_ingest_reruns_to_the_clean_state(small_input: Path, tmp_path: Path) -> None:
    results = crash_trials(small_input, tmp_path, trials=3, seed=8, say=lambda _: None)
    lines: list[str] = []
    print_table(results, say=lines.append)
    assert all(t.passed for t in results), "\n".join(lines)


def test_a_run_committed_but_not_catalogued_is_catalogued_by_the_rerun(tmp_path: Path) -> None:
    """A kill between the commit marker and the catalog swap: the re-run skips every file yet must rebuild."""
    write_area(tmp_path / "01", "01", date(2024, 4, 1), seed=9, low_points=1, high_points=1)
    files = sorted((tmp_path / "01").glob("*.zip"))
    first, second = files[:3], files[3:6]
    clean = WarehouseLayout(tmp_path / "clean")
    ingest(sources_for(first + second, "01", "default"), clean, workers=1)

    layout = WarehouseLayout(tmp_path / "wh")
    ingest(sources_for(first, "01", "default"), layout, workers=1)
    before = view_digests(layout.duckdb_file, base_views=False)
    ingest(sources_for(second, "01", "default"), layout, workers=1, rebuild=False)  # "killed" before the swap
    assert view_digests(layout.duckdb_file, base_views=False) == before  # readers still see the state before
    report = ingest(sources_for(first + second, "01", "default"), layout, workers=1)
    assert report.count("skipped") == 6
    assert view_digests(layout.duckdb_file) == view_digests(clean.duckdb_file)
    shutil.rmtree(tmp_path / "01")


def test_killed_ingest_of_linked_days_reruns_to_the_clean_state(small_input: Path, tmp_path: Path) -> None:
    """Per-day files only, each day made by one file: the runs link their days' current files."""
    folder = tmp_path / "input"
    shutil.copytree(small_input, folder)
    for path in (folder / "01").iterdir():
        if not path.name.startswith("W41120"):
            path.unlink()
    assert len(list((folder / "01").iterdir())) == 3
    results = crash_trials(folder, tmp_path / "work", trials=3, seed=3, say=lambda _: None)
    lines: list[str] = []
    print_table(results, say=lines.append)
    assert all(t.passed for t in results), "\n".join(lines)
    clean = WarehouseLayout(tmp_path / "work" / "clean")
    linked = [p for p in (clean.datasets / "current").rglob("*.parquet") if p.stat().st_nlink > 1]
    assert len(linked) == 1  # the run's day 2 (days 1 and 3 are the template's, copied: no link)
