"""``csv_aliases`` in takuso.toml reaches the CSV reader in ``ingest``, ``validate`` and the nightly run.

The alias file is the README's own example ("A TSO's CSV header differs"), read from the README.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from core.config import load_config
from core.paths import WarehouseLayout
from flows.steps import ingest_night
from sample_data.csv_forms import FileVariant, file_name, generate_demand_breakdown, render_demand_breakdown
from takuso.commands.ingest import run_ingest
from takuso.commands.validate import run_validate

pytestmark = pytest.mark.slow  # runs ingest and the nightly ingest

README = Path(__file__).resolve().parents[1] / "README.md"
MONTH = date(2024, 4, 1)


def readme_alias_example() -> tuple[str, str, str]:
    """The README's alias file, its area and the header it adds."""
    section = README.read_text(encoding="utf-8").split("### A TSO's CSV header differs", 1)[1]
    toml = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    area = re.search(r'\[areas\."(\d\d)"\.forms\.contract_demand_breakdown\.aliases\]', toml).group(1)
    header = re.search(r'supply_point_id = \["([^"]+)"\]', toml).group(1)
    return toml, area, header


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, str]:
    """A folder with the README's alias file, a form 2 file using its header, and no takuso.toml yet."""
    toml, area, header = readme_alias_example()
    (tmp_path / "csv_aliases.toml").write_text(toml, encoding="utf-8")
    rows = generate_demand_breakdown(area, MONTH, seed=1, points=2)
    data = render_demand_breakdown(rows, FileVariant(encoding="utf-8", newline="\n"), area=area, billing_month=MONTH)
    text = data.decode("utf-8")
    assert "供給地点特定番号" in text
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    csv = inbox / file_name("contract_demand_breakdown", area, MONTH)
    csv.write_text(text.replace("供給地点特定番号", header), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path, csv, area


def _write_config(folder: Path) -> Path:
    path = folder / "takuso.toml"
    path.write_text('retailer_code = "9999"\ncsv_aliases = "csv_aliases.toml"\n', encoding="utf-8")
    return path


def _rows(layout: WarehouseLayout) -> int:
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as con:
        return con.execute("SELECT count(*) FROM contract_demand_breakdown").fetchone()[0]


def test_without_the_alias_file_the_header_is_unknown(setup: tuple[Path, Path, str]) -> None:
    folder, csv, _ = setup
    assert run_validate([csv]) == 1
    assert run_ingest([csv], warehouse=folder / "wh", workers=1) == 1


def test_validate_and_ingest_read_takuso_toml_in_the_current_folder(setup: tuple[Path, Path, str]) -> None:
    folder, csv, _ = setup
    _write_config(folder)
    assert run_validate([csv]) == 0
    assert run_ingest([csv], warehouse=folder / "wh", workers=1) == 0
    assert _rows(WarehouseLayout(folder / "wh")) > 0


def test_ingest_takes_the_configuration_named_by_config(setup: tuple[Path, Path, str], tmp_path: Path) -> None:
    folder, csv, _ = setup
    elsewhere = folder / "etc"
    elsewhere.mkdir()
    (elsewhere / "csv_aliases.toml").write_text((folder / "csv_aliases.toml").read_text("utf-8"), "utf-8")
    config = _write_config(elsewhere)
    assert run_validate([csv], config=config) == 0
    assert run_ingest([csv], warehouse=folder / "wh", workers=1, config=config) == 0


def test_a_missing_alias_file_is_a_configuration_error(setup: tuple[Path, Path, str]) -> None:
    folder, csv, _ = setup
    _write_config(folder)
    (folder / "csv_aliases.toml").unlink()
    assert run_validate([csv]) == 2
    assert run_ingest([csv], warehouse=folder / "wh", workers=1) == 2


def test_the_nightly_ingest_uses_the_alias_file(setup: tuple[Path, Path, str]) -> None:
    folder, _, _ = setup
    config = load_config(_write_config(folder), check_certificates=False)
    layout = WarehouseLayout(folder / "wh")

    outcome = ingest_night(layout, config, folder / "inbox", workers=1)

    assert [f.status for f in outcome.report.files] == ["loaded"], outcome.report.files
    assert _rows(layout) > 0
