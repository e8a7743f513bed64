"""Form detection by header and by file name (csv-forms.md §6.4, F6)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from parsers.csv_forms import detect_form, read_form
from sample_data.csv_forms import FORM_NAMES_JA, write_csv_forms
from sample_data.ids import supply_point_id

P1 = supply_point_id("03", 1)


def test_every_generated_file_is_detected_by_its_header(tmp_path: Path) -> None:
    paths = write_csv_forms(tmp_path, areas=["03", "06", "04", "09"], billing_month=date(2024, 4, 1), seed=1)
    for path in paths:
        expected = path.name.rsplit("_", 2)[0]
        assert detect_form(path.read_bytes()) == expected, path.name  # bytes: by header alone
        assert detect_form(path) == expected


def test_form2_is_not_mistaken_for_form3() -> None:
    # Form 3's required columns (供給地点特定番号, 対象年月) also appear in Form 2
    data = f"供給地点特定番号,対象年月,最大需要電力実績年月,最大需要電力,決定契約電力\n{P1},202404,202404,1,1\n"
    assert detect_form(data.encode()) == "contract_demand_breakdown"
    assert detect_form(f"供給地点特定番号,対象年月,割引対象日数\n{P1},202404,1\n".encode()) == "curtailment_discounts"


def test_header_only_form3_is_detected() -> None:
    assert detect_form("供給地点特定番号,託送対象年月,割引対象時間数\r\n".encode("cp932")) == "curtailment_discounts"


@pytest.mark.parametrize(
    ("name", "form_id"),
    [
        ("generator_allocated_energy_03_202404.csv", "generator_allocated_energy"),
        ("contract_demand_breakdown_06_202404.csv", "contract_demand_breakdown"),
        ("curtailment_discounts_04_202404.csv", "curtailment_discounts"),
        (f"{FORM_NAMES_JA['generator_allocated_energy']}_202404.csv", "generator_allocated_energy"),
        (f"202404_{FORM_NAMES_JA['contract_demand_breakdown']}.csv", "contract_demand_breakdown"),
        ("制限中止割引時間(令和6年4月).csv", "curtailment_discounts"),
        ("download.csv", None),
    ],
)
def test_detection_by_file_name_when_the_header_says_nothing(tmp_path: Path, name: str, form_id: str | None) -> None:
    path = tmp_path / name
    path.write_text("該当データなし\n", encoding="utf-8")
    assert detect_form(path) == form_id


def test_detect_form_prefers_the_header_over_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "curtailment_discounts_03_202404.csv"
    path.write_text(
        f"供給地点特定番号,対象年月,最大需要電力実績年月,最大需要電力,決定契約電力\n{P1},202404,202404,1,1\n",
        encoding="utf-8",
    )
    assert detect_form(path) == "contract_demand_breakdown"


def test_detection_uses_area_overlay() -> None:
    header = "供給地点番号,対象年月,最大需要電力実績年月,最大需要電力,決定契約電力"
    data = f"{header}\n{P1},202404,202404,1,1\n".encode()
    assert detect_form(data) is None
    assert detect_form(data, area_code="03") == "contract_demand_breakdown"


def test_read_form_rejects_a_file_whose_name_and_header_disagree(tmp_path: Path) -> None:
    path = tmp_path / "contract_demand_breakdown_03_202404.csv"
    path.write_text(f"供給地点特定番号,対象年月\n{P1},202404\n", encoding="utf-8")
    # a Form 2 file that lost its Form 2 columns must not load silently as Form 3
    result = read_form(path, "03")
    assert result.table is None
    assert [p.rule_id for p in result.errors] == ["CSV004"]
    assert "contract_demand_breakdown" in result.errors[0].message
    forced = read_form(path, "03", form_id="contract_demand_breakdown")
    assert [p.rule_id for p in forced.errors] == ["CSV001"]


def test_read_form_detects_by_name_when_no_header_resolves(tmp_path: Path) -> None:
    path = tmp_path / "contract_demand_breakdown_03_202404.csv"
    path.write_text(f"SPID,月\n{P1},202404\n", encoding="utf-8")
    result = read_form(path, "03")
    assert result.form_id == "contract_demand_breakdown"
    assert [p.rule_id for p in result.errors] == ["CSV001"]
