"""Every validation rule (csv-forms.md §6.7) with the source line number it reports.

Any error rejects the whole file (``table is None``); warnings do not.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from parsers.csv_forms import Problem, read_form
from sample_data.ids import receiving_point_id, supply_point_id

P1 = supply_point_id("03", 1)
P2 = supply_point_id("03", 2)
R1 = receiving_point_id("03", 1)
F2_HEADER = "供給地点特定番号,対象年月,最大需要電力実績年月,最大需要電力,決定契約電力,算定区分"
F3_HEADER = (
    "供給地点特定番号,対象年月,算定期間開始日,算定期間終了日,割引対象コード,割引対象時間数,割引対象日数,"
    "制限開始日時,制限終了日時"
)
F1_LONG = "受電地点特定番号,年月日,時刻コマ,仕訳後電力量,仕訳コード"


def _read(tmp_path: Path, text: str, *, area: str = "03", name: str = "f.csv", form_id: str | None = None):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return read_form(path, area, form_id=form_id)


def _where(problems: list[Problem]) -> list[tuple[str, int | None]]:
    return [(p.rule_id, p.line) for p in problems]


def _lines(*rows: str) -> str:
    return "\n".join(rows) + "\n"


# ------------------------------------------------------------------------------------------------ header


def test_csv001_missing_required_column_names_form_file_aliases_and_headers(tmp_path: Path) -> None:
    text = _lines(
        "契約電力算定結果内訳",
        "供給地点特定番号,対象年月,最大需要電力実績年月,最大需要電力,備考",
        f"{P1},202404,202404,1,",
    )
    result = _read(tmp_path, text, name="cdb.csv", form_id="contract_demand_breakdown")
    assert result.table is None
    assert _where(result.errors) == [("CSV001", 2)]
    message = result.errors[0].message
    for part in (
        "contract_demand_breakdown",
        "契約電力算定結果内訳",
        "cdb.csv",
        "contract_kw",
        "決定契約電力",
        "備考",
    ):
        assert part in message
    assert result.errors[0].column == "contract_kw"


def test_csv002_two_headers_for_one_column(tmp_path: Path) -> None:
    text = _lines(F2_HEADER + ",契約電力", f"{P1},202404,202404,1,1,実量,1")
    result = _read(tmp_path, text)
    assert _where(result.errors) == [("CSV002", 1)]
    assert result.errors[0].column == "contract_kw"


def test_csv002_long_slot_column_next_to_slot_columns(tmp_path: Path) -> None:
    text = _lines("受電地点特定番号,年月日,時刻コマ,00:00-00:30", f"{R1},2024/04/01,1,1")
    result = _read(tmp_path, text, form_id="generator_allocated_energy")
    assert ("CSV002", 1) in _where(result.errors)


def test_csv004_form_not_detected(tmp_path: Path) -> None:
    result = _read(tmp_path, _lines("a,b,c", "1,2,3"), name="unknown.csv")
    assert result.form_id is None
    assert _where(result.errors) == [("CSV004", None)]


def test_csv005_unclosed_quote(tmp_path: Path) -> None:
    text = _lines(F2_HEADER, f'{P1},202404,202404,1,1,"実量', f"{P1},202404,202403,1,1,実量")
    result = _read(tmp_path, text, form_id="contract_demand_breakdown")
    assert _where(result.errors) == [("CSV005", 2)]


def test_csv006_unknown_form_id(tmp_path: Path) -> None:
    result = _read(tmp_path, _lines(F2_HEADER), form_id="no_such_form")
    assert _where(result.errors) == [("CSV006", None)]


def test_csv016_slot_column_header_out_of_range(tmp_path: Path) -> None:
    slots = ",".join(str(s) for s in range(1, 50))
    values = ",".join("1" for _ in range(49))
    text = _lines(f"受電地点特定番号,年月日,{slots}", f"{R1},2024/04/01,{values}")
    result = _read(tmp_path, text, form_id="generator_allocated_energy")
    assert _where(result.errors) == [("CSV016", 1)]
    assert "'49'" in result.errors[0].message


# ------------------------------------------------------------------------------------------------ values


def test_csv010_bad_point_id(tmp_path: Path) -> None:
    text = _lines(F2_HEADER, f"{P1},202404,202404,1,1,実量", f"{P1[:-1]},202404,202404,1,1,実量")
    result = _read(tmp_path, text)
    assert _where(result.errors) == [("CSV010", 3)]
    assert result.table is None


def test_csv011_area_prefix_must_match_the_tso(tmp_path: Path) -> None:
    other = supply_point_id("06", 1)
    text = _lines(F2_HEADER, f"{P1},202404,202404,1,1,実量", f"{other},202404,202404,1,1,実量")
    result = _read(tmp_path, text, area="03")
    assert _where(result.errors) == [("CSV011", 3)]
    assert "06" in result.errors[0].message and "area 03" in result.errors[0].message
    assert result.table is None


def test_csv011_receiving_and_optional_supply_ids_are_checked_too(tmp_path: Path) -> None:
    text = _lines(
        "受電地点特定番号,供給地点特定番号,年月日,時刻コマ,仕訳後電力量",
        f"{receiving_point_id('06', 1)},{supply_point_id('03', 5)},2024/04/01,1,1",
        f"{R1},{supply_point_id('06', 5)},2024/04/01,2,1",
    )
    result = _read(tmp_path, text)
    assert [(p.rule_id, p.line, p.column) for p in result.errors] == [
        ("CSV011", 2, "receiving_point_id"),
        ("CSV011", 3, "supply_point_id"),
    ]


def test_csv012_bad_date(tmp_path: Path) -> None:
    text = _lines(F1_LONG, f"{R1},2024/04/01,1,1,1", f"{R1},2024/02/30,1,1,1")
    result = _read(tmp_path, text)
    assert _where(result.errors) == [("CSV012", 3)]


def test_csv013_bad_month(tmp_path: Path) -> None:
    text = _lines(F2_HEADER, f"{P1},202404,202404,1,1,実量", f"{P1},202404,202413,1,1,実量")
    result = _read(tmp_path, text)
    assert _where(result.errors) == [("CSV013", 3)]


def test_csv014_bad_numbers(tmp_path: Path) -> None:
    text = _lines(F2_HEADER, f"{P1},202404,202404,abc,1,実量", f"{P1},202404,202403,1.1234567,1,実量")
    result = _read(tmp_path, text)
    assert _where(result.errors) == [("CSV014", 2), ("CSV014", 3)]


def test_csv015_negative_quantity(tmp_path: Path) -> None:
    text = _lines(F1_LONG, f"{R1},2024/04/01,1,▲1.5,1", f"{R1},2024/04/01,2,-0.1,1")
    result = _read(tmp_path, text)
    assert _where(result.errors) == [("CSV015", 2), ("CSV015", 3)]


def test_negative_yen_is_fine(tmp_path: Path) -> None:
    text = _lines("供給地点特定番号,対象年月,制限中止割引額", f"{P1},202404,▲100")
    result = _read(tmp_path, text)
    assert result.errors == []
    assert result.table is not None
    assert result.table.column("discount_amount_yen").to_pylist() == [Decimal("-100.00")]


def test_csv016_slot_value_out_of_range(tmp_path: Path) -> None:
    text = _lines(F1_LONG, f"{R1},2024/04/01,0,1,1", f"{R1},2024/04/01,48,1,1", f"{R1},2024/04/01,49,1,1")
    result = _read(tmp_path, text)
    assert _where(result.errors) == [("CSV016", 2), ("CSV016", 4)]


def test_csv017_bad_timestamp(tmp_path: Path) -> None:
    text = _lines(F3_HEADER, f"{P1},202404,2024/4/1,2024/4/30,1,2,1,2024/04/03 25:00,2024/04/03 10:00")
    result = _read(tmp_path, text)
    assert _where(result.errors) == [("CSV017", 2)]
    assert result.errors[0].column == "event_start"


def test_csv018_days_must_be_whole(tmp_path: Path) -> None:
    text = _lines(F3_HEADER, f"{P1},202404,2024/4/1,2024/4/30,1,2,1.5,,")
    result = _read(tmp_path, text)
    assert _where(result.errors) == [("CSV018", 2)]


def test_csv019_required_value_missing(tmp_path: Path) -> None:
    text = _lines(F3_HEADER, f"{P1},202404,,,,,,,", ",202404,,,,,,,")
    result = _read(tmp_path, text)
    assert _where(result.errors) == [("CSV019", 3)]
    assert result.errors[0].column == "supply_point_id"


# ------------------------------------------------------------------------------------------------ file rules


def test_csv020_duplicate_key_form1(tmp_path: Path) -> None:
    text = _lines(F1_LONG, f"{R1},2024/04/01,1,1,1", f"{R1},2024/04/01,1,2,2", f"{R1},2024/04/01,1,3,1")
    result = _read(tmp_path, text)
    assert _where(result.errors) == [("CSV020", 4)]
    assert "line 2" in result.errors[0].message


def test_csv020_duplicate_key_form2(tmp_path: Path) -> None:
    text = _lines(F2_HEADER, f"{P1},202404,202404,1,1,実量", f"{P1},202404,2024/04,1,1,実量")
    result = _read(tmp_path, text)
    assert _where(result.errors) == [("CSV020", 3)]


def test_csv020_duplicate_key_form3(tmp_path: Path) -> None:
    text = _lines(
        F3_HEADER,
        f"{P1},202404,2024/4/1,2024/4/30,1,2,1,,",
        f"{P1},202404,2024/4/1,2024/4/30,2,2,1,,",
        f"{P1},202404,2024/4/1,2024/4/30,1,3,1,,",
    )
    result = _read(tmp_path, text)
    assert _where(result.errors) == [("CSV020", 4)]


def test_csv021_per_point_values_must_agree(tmp_path: Path) -> None:
    text = _lines(
        F2_HEADER,
        f"{P1},202404,202404,100,120,実量",
        f"{P1},202404,202403,120,125,実量",
        f"{P1},202404,202402,110,120,協議",
        f"{P2},202404,202404,90,90,実量",
    )
    result = _read(tmp_path, text)
    assert [(p.rule_id, p.line, p.column) for p in result.errors] == [
        ("CSV021", 3, "contract_kw"),
        ("CSV021", 4, "determination_kind"),
    ]


def test_csv022_row_longer_than_header(tmp_path: Path) -> None:
    text = _lines("供給地点特定番号,対象年月", f"{P1},202404", f"{P2},202404,surplus")
    result = _read(tmp_path, text, form_id="curtailment_discounts")
    assert _where(result.errors) == [("CSV022", 3)]


def test_csv023_end_before_start(tmp_path: Path) -> None:
    text = _lines(F3_HEADER, f"{P1},202404,2024/4/30,2024/4/1,1,2,1,2024/04/03 12:00,2024/04/03 11:00")
    result = _read(tmp_path, text)
    assert [(p.rule_id, p.line, p.column) for p in result.errors] == [
        ("CSV023", 2, "period_end"),
        ("CSV023", 2, "event_end"),
    ]


def test_all_problems_are_collected_not_only_the_first(tmp_path: Path) -> None:
    text = _lines(
        F1_LONG,
        f"{R1},2024/04/01,1,1,1",
        f"{R1[:-1]},2024/04/01,2,1,1",
        f"{R1},2024/04/32,3,1,1",
        f"{R1},2024/04/01,50,1,1",
        f"{R1},2024/04/01,4,x,1",
        f"{R1},2024/04/01,1,1,1",
    )
    result = _read(tmp_path, text)
    assert _where(result.errors) == [
        ("CSV010", 3),
        ("CSV012", 4),
        ("CSV016", 5),
        ("CSV014", 6),
        ("CSV020", 7),
    ]
    assert result.table is None


# ------------------------------------------------------------------------------------------------ warnings


def test_csv030_check_total_mismatch_is_a_warning(tmp_path: Path) -> None:
    slots = ",".join(f"コマ{s}" for s in range(1, 49))
    good = ",".join("1" for _ in range(48))
    text = _lines(f"受電地点特定番号,年月日,{slots},日計", f"{R1},2024/04/01,{good},48", f"{R1},2024/04/02,{good},47.5")
    result = _read(tmp_path, text)
    assert result.errors == []
    assert _where(result.warnings) == [("CSV030", 3)]
    assert "0.5" in result.warnings[0].message
    assert result.table is not None and result.table.num_rows == 96


def test_csv030_month_total_in_long_layout(tmp_path: Path) -> None:
    text = _lines(
        F1_LONG + ",月計",
        f"{R1},2024/04/01,1,1,1,3",
        f"{R1},2024/04/01,2,1.5,1,3",
        f"{R1},2024/04/02,1,0.5,1,3",
    )
    result = _read(tmp_path, text)
    assert result.warnings == []
    text = text.replace(",0.5,1,3", ",0.6,1,3")
    result = _read(tmp_path, text)
    assert _where(result.warnings) == [("CSV030", 2)]


def test_csv031_unknown_columns_kept_in_extra(tmp_path: Path) -> None:
    text = _lines(
        F2_HEADER + ",全体番号,契約番号", f"{P1},202404,202404,1,1,実量,A1,", f"{P1},202404,202403,1,1,実量,,"
    )
    result = _read(tmp_path, text)
    assert _where(result.warnings) == [("CSV031", 1)]
    assert "全体番号" in result.warnings[0].message
    assert result.table is not None
    extras = result.table.column("extra").to_pylist()
    assert json.loads(extras[0]) == {"全体番号": "A1"}
    assert extras[1] is None


def test_csv032_unmapped_coded_value_is_kept_and_reported(tmp_path: Path) -> None:
    text = _lines(
        F2_HEADER,
        f"{P1},202404,202404,1,1,特別",
        f"{P2},202404,202404,1,1,協議",
        f"{P1},202404,202403,1,1,特別",
    )
    result = _read(tmp_path, text)
    assert result.errors == []
    assert _where(result.warnings) == [("CSV032", 2)]
    assert "2 rows" in result.warnings[0].message
    assert result.table is not None
    assert result.table.column("determination_kind").to_pylist() == ["特別", "negotiated", "特別"]


def test_csv033_lookback_month_outside_window(tmp_path: Path) -> None:
    text = _lines(
        F2_HEADER,
        f"{P1},202404,202305,1,1,実量",
        f"{P1},202404,202304,1,1,実量",
        f"{P1},202404,202405,1,1,実量",
    )
    result = _read(tmp_path, text)
    assert result.errors == []
    assert _where(result.warnings) == [("CSV033", 3), ("CSV033", 4)]


def test_csv099_repeats_are_capped_with_a_summary(tmp_path: Path) -> None:
    alias_file = tmp_path / "aliases.toml"
    alias_file.write_text("max_problems_per_rule = 2\n", encoding="utf-8")
    rows = [f"{R1},2024/04/01,{s},▲1,1" for s in range(1, 6)]
    path = tmp_path / "f.csv"
    path.write_text(_lines(F1_LONG, *rows), encoding="utf-8")
    result = read_form(path, "03", aliases_file=alias_file)
    assert _where(result.errors) == [("CSV015", 2), ("CSV015", 3), ("CSV099", None)]
    assert "3 more CSV015" in result.errors[-1].message
