"""Text that is not markup reaches the terminal as written: brackets in help, messages and tables survive."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from takuso.cli import app

runner = CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_reconcile_help_names_the_tolerance_key_with_its_table() -> None:
    result = runner.invoke(app, ["reconcile", "--help"])
    assert result.exit_code == 0
    assert "[reconcile] tolerance_kwh" in _flat(result.output)


def test_csv001_names_the_alias_table_to_edit(tmp_path: Path) -> None:
    path = tmp_path / "contract_demand_breakdown_03_202404.csv"
    path.write_text("地点ID,対象年月,最大需要電力実績年月,最大需要電力,決定契約電力\n", encoding="utf-8")

    result = runner.invoke(app, ["validate", str(path), "--area", "03"])

    assert result.exit_code == 1
    assert "CSV001" in result.output
    assert "[forms.contract_demand_breakdown.aliases]" in _flat(result.output)


@pytest.mark.slow  # loads a warehouse
def test_query_prints_bracketed_values_as_they_are(tmp_path: Path) -> None:
    from core.paths import WarehouseLayout
    from warehouse.catalog import build_catalog

    build_catalog(WarehouseLayout(tmp_path))  # an empty warehouse: query never creates one
    result = runner.invoke(app, ["query", "SELECT '[b]bold[/b] [x]' AS \"[col]\"", "--warehouse", str(tmp_path)])
    assert "[b]bold[/b] [x]" in result.output
    assert "[col]" in result.output


@pytest.mark.slow  # loads a warehouse
def test_ingest_prints_the_rejection_reason_with_its_brackets(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "contract_demand_breakdown_03_202404.csv"
    path.write_text("地点ID,対象年月,最大需要電力実績年月,最大需要電力,決定契約電力\n", encoding="utf-8")

    result = runner.invoke(app, ["ingest", str(path), "--warehouse", str(tmp_path / "wh"), "--workers", "1"])

    assert result.exit_code == 1
    assert "[forms.contract_demand_breakdown.aliases]" in _flat(result.output)
