"""The alias map (csv-forms.md §6.1): user files extend it without code changes; area overlays."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.csv_forms import AliasConfigError, form_spec, load_config, read_form
from sample_data.ids import supply_point_id

P1 = supply_point_id("03", 1)


def test_builtin_map_has_the_three_forms_the_register_and_the_invoice_and_their_required_columns() -> None:
    config = load_config()
    assert list(config["forms"]) == [
        "generator_allocated_energy",
        "contract_demand_breakdown",
        "curtailment_discounts",
        "supply_point_contracts",
        "tso_invoice_lines",
    ]
    spec = form_spec("contract_demand_breakdown")
    assert spec.required == (
        "supply_point_id",
        "billing_month",
        "lookback_month",
        "max_demand_kw",
        "contract_kw",
    )
    assert "決定契約電力" in spec.aliases["contract_kw"]
    assert spec.values["determination_kind"]["実量"] == "actual"


def test_unseen_header_is_an_error_until_a_user_alias_file_maps_it(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(f"SPID,請求月,割引日数\n{P1},202404,2\n", encoding="utf-8")
    before = read_form(path, "03", form_id="curtailment_discounts")
    assert [p.rule_id for p in before.errors] == ["CSV001"]

    user = tmp_path / "my_aliases.toml"
    user.write_text(
        "[forms.curtailment_discounts.aliases]\n"
        'supply_point_id = ["SPID"]\n'
        'billing_month = ["請求月"]\n'
        'discount_days = ["割引日数"]\n',
        encoding="utf-8",
    )
    after = read_form(path, "03", aliases_file=user)
    assert after.errors == []
    assert after.form_id == "curtailment_discounts"  # detected through the user's aliases
    assert after.table is not None
    row = after.table.to_pylist()[0]
    assert (row["supply_point_id"], row["discount_days"]) == (P1, 2)


def test_user_file_extends_aliases_and_overrides_scalars(tmp_path: Path) -> None:
    user = tmp_path / "u.toml"
    user.write_text(
        "header_search_lines = 5\n"
        "[forms.contract_demand_breakdown.aliases]\n"
        'contract_kw = ["契約kW"]\n'
        "[forms.contract_demand_breakdown.values.determination_kind]\n"
        '"実量" = "measured"\n',
        encoding="utf-8",
    )
    spec = form_spec("contract_demand_breakdown", config=load_config(user))
    assert spec.aliases["contract_kw"][0] == "契約kW"
    assert "決定契約電力" in spec.aliases["contract_kw"]  # built-in aliases are kept
    assert spec.values["determination_kind"]["実量"] == "measured"  # user wins
    assert spec.values["determination_kind"]["協議"] == "negotiated"
    assert spec.header_search_lines == 5


def test_area_overlay_applies_to_that_area_only(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        f"供給地点番号,対象年月,最大需要電力実績年月,最大需要電力,決定契約電力\n{P1},202404,202404,1,1\n",
        encoding="utf-8",
    )
    tokyo = read_form(path, "03")  # [areas."03"] overlay in the built-in map adds 供給地点番号
    assert tokyo.errors == []
    assert tokyo.form_id == "contract_demand_breakdown"
    kansai = read_form(path, "06", form_id="contract_demand_breakdown")
    assert [p.rule_id for p in kansai.errors] == ["CSV001"]


def test_user_area_overlay_with_value_map_and_forced_encoding(tmp_path: Path) -> None:
    user = tmp_path / "u.toml"
    user.write_text(
        '[areas."06"]\nencoding = "cp932"\n'
        '[areas."06".forms.contract_demand_breakdown.values.determination_kind]\n"JR" = "actual"\n',
        encoding="utf-8",
    )
    other = supply_point_id("06", 1)
    path = tmp_path / "f.csv"
    path.write_bytes(
        f"供給地点特定番号,対象年月,最大需要電力実績年月,最大需要電力,決定契約電力,算定区分\r\n{other},202404,202404,1,1,JR\r\n".encode(
            "cp932"
        )
    )
    result = read_form(path, "06", aliases_file=user)
    assert result.errors == [] and result.warnings == []
    assert result.encoding == "cp932"
    assert result.table is not None
    assert result.table.column("determination_kind").to_pylist() == ["actual"]


def test_alias_claimed_by_two_columns_is_a_config_error(tmp_path: Path) -> None:
    user = tmp_path / "u.toml"
    user.write_text('[forms.contract_demand_breakdown.aliases]\ncontract_kw = ["最大需要電力"]\n', encoding="utf-8")
    with pytest.raises(AliasConfigError, match="最大需要電力"):
        form_spec("contract_demand_breakdown", config=load_config(user))


def test_unknown_type_is_a_config_error(tmp_path: Path) -> None:
    user = tmp_path / "u.toml"
    user.write_text('[forms.curtailment_discounts.types]\ndiscount_days = "float"\n', encoding="utf-8")
    with pytest.raises(AliasConfigError, match="float"):
        form_spec("curtailment_discounts", config=load_config(user))


def test_unreadable_user_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[forms\n", encoding="utf-8")
    with pytest.raises(AliasConfigError):
        load_config(bad)


def test_documented_kyushu_example_works(tmp_path: Path) -> None:
    user = tmp_path / "csv_aliases.toml"
    user.write_text(
        '[areas."09".forms.contract_demand_breakdown.aliases]\n'
        'supply_point_id = ["地点番号"]\n'
        'contract_kw = ["適用契約電力(kW)"]\n'
        '[areas."09".forms.contract_demand_breakdown.values.determination_kind]\n'
        '"実量値" = "actual"\n'
        '[areas."09"]\nencoding = "cp932"\n',
        encoding="utf-8",
    )
    point = supply_point_id("09", 3)
    path = tmp_path / "download.csv"
    path.write_bytes(
        (
            "地点番号,対象年月,最大需要電力実績年月,最大需要電力,適用契約電力（ｋＷ）,算定区分\r\n"
            f"{point},202404,202404,80,90,実量値\r\n"
        ).encode("cp932")
    )
    result = read_form(path, "09", aliases_file=user)
    assert result.errors == [] and result.warnings == []
    assert result.table is not None
    row = result.table.to_pylist()[0]
    assert (row["supply_point_id"], row["contract_kw"], row["determination_kind"]) == (point, 90, "actual")
