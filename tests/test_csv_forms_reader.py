"""Reading the three forms end to end: encodings, layouts, header variants, preambles, Arrow types."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from parsers.csv_forms import DISCOUNT_RATE_PER_DAY, arrow_schema, form_spec, read_form
from sample_data.csv_forms import (
    FileVariant,
    generate_allocated_energy,
    generate_curtailments,
    generate_demand_breakdown,
    render_allocated_energy,
    render_curtailments,
    render_demand_breakdown,
)
from sample_data.ids import receiving_point_id, supply_point_id

MONTH = date(2024, 4, 1)
CP932 = {"encoding": "cp932", "newline": "\r\n"}
UTF8 = {"encoding": "utf-8-sig", "newline": "\n"}
P1 = supply_point_id("03", 1)
P2 = supply_point_id("03", 2)
R1 = receiving_point_id("03", 1)


def _write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def _rows(result_table: pa.Table) -> list[dict[str, Any]]:
    return result_table.to_pylist()


# ------------------------------------------------------------------------------------------------ Form 1


@pytest.mark.parametrize("enc", [CP932, UTF8], ids=["cp932-crlf", "utf8bom-lf"])
@pytest.mark.parametrize("layout", ["wide", "long"])
@pytest.mark.parametrize("header_variant", [0, 1])
def test_form1_reads_back_every_slot(tmp_path: Path, enc: dict[str, str], layout: str, header_variant: int) -> None:
    rows = generate_allocated_energy("03", MONTH, seed=3, receiving_points=2)
    variant = FileVariant(layout=layout, header_variant=header_variant, title=header_variant == 0, **enc)
    path = _write(tmp_path, "f1.csv", render_allocated_energy(rows, variant, area="03", billing_month=MONTH))

    result = read_form(path, "03")

    assert result.errors == [], result.errors
    assert result.form_id == "generator_allocated_energy"
    assert result.layout == layout
    assert result.encoding == enc["encoding"]
    assert result.target_month == MONTH
    assert result.table is not None
    got = {(r["receiving_point_id"], r["usage_date"], r["slot"]): r["kwh"] for r in _rows(result.table)}
    assert got == {(r.receiving_point_id, r.usage_date, r.slot): r.kwh for r in rows}
    first = _rows(result.table)[0]
    assert first["data_class"] == "confirmed"
    assert first["target_month"] == MONTH  # derived from usage_date (no 対象年月 column)
    assert first["generator_name"] == rows[0].generator_name


def test_form1_wide_and_long_give_the_same_table(tmp_path: Path) -> None:
    rows = generate_allocated_energy("03", MONTH, seed=1, receiving_points=1)
    tables = []
    for layout in ("wide", "long"):
        data = render_allocated_energy(rows, FileVariant(layout=layout), area="03", billing_month=MONTH)
        table = read_form(_write(tmp_path, f"{layout}.csv", data), "03").table
        assert table is not None
        tables.append(table.drop(["source_line"]).sort_by([("usage_date", "ascending"), ("slot", "ascending")]))
    assert tables[0].equals(tables[1])


@pytest.mark.parametrize(
    "slot_headers",
    [
        [
            f"{(s - 1) * 30 // 60:02d}:{(s - 1) * 30 % 60:02d}-{s * 30 // 60:02d}:{s * 30 % 60:02d}"
            for s in range(1, 49)
        ],
        [f"{(s - 1) * 30 // 60}:{(s - 1) * 30 % 60:02d}～{s * 30 // 60}:{s * 30 % 60:02d}" for s in range(1, 49)],
        [f"{(s - 1) * 30 // 60:02d}{(s - 1) * 30 % 60:02d}-{s * 30 // 60:02d}{s * 30 % 60:02d}" for s in range(1, 49)],
        [
            f"kwh_{(s - 1) * 30 // 60:02d}{(s - 1) * 30 % 60:02d}_{s * 30 // 60:02d}{s * 30 % 60:02d}"
            for s in range(1, 49)
        ],
        [f"コマ{s}" for s in range(1, 49)],
        [f"ｺﾏ{s}" for s in range(1, 49)],
        [str(s) for s in range(1, 49)],
        [f"{s}" for s in range(1, 49)],
    ],
    ids=[
        "hh:mm-hh:mm",
        "h:mm～h:mm",
        "hhmm-hhmm",
        "kwh_hhmm_hhmm",
        "コマn",
        "halfwidth-kana",
        "n",
        "fullwidth-n",
    ],
)
def test_form1_slot_header_styles(tmp_path: Path, slot_headers: list[str]) -> None:
    header = ",".join(["受電地点特定番号", "年月日", *slot_headers])
    values = ",".join(str(s) for s in range(1, 49))
    path = _write(tmp_path, "f.csv", f"{header}\n{R1},2024/04/01,{values}\n")
    result = read_form(path, "03")
    assert result.errors == []
    assert result.table is not None
    slots = {r["slot"]: r["kwh"] for r in _rows(result.table)}
    assert slots == {s: Decimal(s) for s in range(1, 49)}
    assert slots[48] == Decimal(48)  # 23:30-24:00 is slot 48


def test_form1_long_slot_values_as_time_ranges(tmp_path: Path) -> None:
    text = f"受電地点特定番号,年月日,時刻コマ,電力量\n{R1},2024/04/01,23:30-24:00,1.5\n{R1},2024/04/01,コマ1,2\n"
    result = read_form(_write(tmp_path, "f.csv", text), "03", form_id="generator_allocated_energy")
    assert result.errors == []
    assert result.table is not None
    assert [(r["slot"], r["kwh"]) for r in _rows(result.table)] == [(48, Decimal("1.5")), (1, Decimal(2))]


# ------------------------------------------------------------------------------------------------ Form 2


@pytest.mark.parametrize("enc", [CP932, UTF8], ids=["cp932-crlf", "utf8bom-lf"])
@pytest.mark.parametrize("layout", ["long", "wide"])
@pytest.mark.parametrize("header_variant", [0, 1])
def test_form2_reads_back(tmp_path: Path, enc: dict[str, str], layout: str, header_variant: int) -> None:
    rows = generate_demand_breakdown("03", MONTH, seed=5, points=5)
    variant = FileVariant(layout=layout, header_variant=header_variant, title=header_variant == 1, **enc)
    path = _write(tmp_path, "f2.csv", render_demand_breakdown(rows, variant, area="03", billing_month=MONTH))

    result = read_form(path, "03")

    assert result.errors == [], result.errors
    assert result.form_id == "contract_demand_breakdown"
    assert result.layout == layout
    assert result.target_month == MONTH
    assert result.table is not None
    got = {
        (r["supply_point_id"], r["lookback_month"]): (
            r["max_demand_kw"],
            r["corrected_max_demand_kw"],
            r["contract_kw"],
        )
        for r in _rows(result.table)
    }
    expected = {
        (r.supply_point_id, r.lookback_month): (r.max_demand_kw, r.corrected_max_demand_kw, r.contract_kw) for r in rows
    }
    assert got == expected
    kinds = {r["determination_kind"] for r in _rows(result.table)}
    assert kinds <= {"actual", "negotiated", "new_supply"}


def test_form2_era_months_and_hyphenated_ids(tmp_path: Path) -> None:
    text = (
        "供給地点特定番号,料金計算対象年月,最大需要電力実績年月,最大需要電力,契約電力\r\n"
        "03-0000-0000-0000-0000-0001,令和6年4月,令和6年4月,100,120\r\n"
        "03-0000-0000-0000-0000-0001,R6.4,平成31年4月,120,120\r\n"
    )
    result = read_form(_write(tmp_path, "f.csv", text, "cp932"), "03")
    assert result.errors == []
    assert result.table is not None
    rows = _rows(result.table)
    assert [r["lookback_month"] for r in rows] == [date(2024, 4, 1), date(2019, 4, 1)]
    assert {r["supply_point_id"] for r in rows} == {P1}
    assert result.warnings[0].rule_id == "CSV033"  # 2019-04 is outside the 12-month window


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def test_form2_full_width_digits_and_spaces(tmp_path: Path) -> None:
    text = (
        "供給地点特定番号　,　対象年月,最大需要電力実績年月,最大需要電力（ｋＷ）,決定契約電力\n"
        f"{_full_width(P1)},２０２４／０４,２０２４年４月,　１，２３４．５ ,１２３４．５\n"
    )
    result = read_form(_write(tmp_path, "f.csv", text), "03")
    assert result.errors == []
    assert result.table is not None
    row = _rows(result.table)[0]
    assert row["supply_point_id"] == P1
    assert row["max_demand_kw"] == Decimal("1234.5")
    assert row["billing_month"] == MONTH


# ------------------------------------------------------------------------------------------------ Form 3


@pytest.mark.parametrize("enc", [CP932, UTF8], ids=["cp932-crlf", "utf8bom-lf"])
@pytest.mark.parametrize("header_variant", [0, 1])
def test_form3_reads_back(tmp_path: Path, enc: dict[str, str], header_variant: int) -> None:
    breakdown = generate_demand_breakdown("03", MONTH, seed=2)
    rows = generate_curtailments("03", MONTH, seed=2, breakdown=breakdown)
    assert rows
    variant = FileVariant(header_variant=header_variant, title=True, **enc)
    path = _write(tmp_path, "f3.csv", render_curtailments(rows, variant, area="03", billing_month=MONTH))

    result = read_form(path, "03")

    assert result.errors == [], result.errors
    assert result.form_id == "curtailment_discounts"
    assert result.table is not None
    got = [
        (
            r["supply_point_id"],
            r["discount_reason_code"],
            r["discount_hours"],
            r["discount_days"],
            r["discount_rate"],
            r["discount_amount_yen"],
        )
        for r in _rows(result.table)
    ]
    expected = [
        (
            r.supply_point_id,
            r.discount_reason_code,
            r.discount_hours,
            r.discount_days,
            r.discount_rate,
            r.discount_amount_yen,
        )
        for r in rows
    ]
    assert got == expected
    assert all(r["discount_amount_yen"] < 0 for r in _rows(result.table))  # ▲ or - both read as negative


def test_form3_discount_rate_derived_from_days_when_absent(tmp_path: Path) -> None:
    text = f"供給地点特定番号,対象年月,割引対象日数,割引対象時間数\n{P1},202404,3,4.5\n{P2},202404,,\n"
    result = read_form(_write(tmp_path, "f.csv", text), "03")
    assert result.errors == []
    assert result.table is not None
    rates = [r["discount_rate"] for r in _rows(result.table)]
    assert rates == [DISCOUNT_RATE_PER_DAY * 3, None]
    assert rates[0] == Decimal("0.12")


def test_form3_rate_column_wins_over_derivation(tmp_path: Path) -> None:
    text = f"供給地点特定番号,対象年月,割引対象日数,割引率\n{P1},202404,3,8%\n"
    result = read_form(_write(tmp_path, "f.csv", text), "03")
    assert result.table is not None
    assert _rows(result.table)[0]["discount_rate"] == Decimal("0.08")


def test_form3_timestamps_and_era_dates(tmp_path: Path) -> None:
    text = (
        "供給地点特定番号,託送対象年月,算定期間開始日,算定期間終了日,割引対象コード,制限中止割引額,制限開始日時,制限終了日時\n"
        f'{P1},H30.4,平成30年4月1日,H30.4.30,1,"▲1,234.56",2018/04/03 22:00,2018/04/03 24:00\n'
    )
    result = read_form(_write(tmp_path, "f.csv", text), "03")
    assert result.errors == []
    assert result.table is not None
    row = _rows(result.table)[0]
    assert row["billing_month"] == date(2018, 4, 1)
    assert row["period_start"] == date(2018, 4, 1)
    assert row["period_end"] == date(2018, 4, 30)
    assert row["discount_amount_yen"] == Decimal("-1234.56")
    assert row["event_end"] == datetime(2018, 4, 4, 0, 0)
    assert row["discount_reason_code"] == "1"


def test_empty_form3_header_only_is_valid(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "curtailment_discounts_03_202404.csv",
        render_curtailments([], FileVariant(), area="03", billing_month=MONTH),
    )
    result = read_form(path, "03")
    assert result.errors == []
    assert result.table is not None
    assert result.table.num_rows == 0
    assert result.table.schema.equals(arrow_schema(form_spec("curtailment_discounts")))
    assert result.target_month == MONTH  # from the file name


def test_form3_with_only_title_lines_is_empty_with_a_warning(tmp_path: Path) -> None:
    text = "制限中止割引時間\r\n対象年月,2024年5月分\r\n該当データはありません\r\n"
    result = read_form(_write(tmp_path, "x.csv", text, "cp932"), "03", form_id="curtailment_discounts")
    assert result.errors == []
    assert result.table is not None and result.table.num_rows == 0
    assert [w.rule_id for w in result.warnings] == ["CSV034"]
    assert result.target_month == date(2024, 5, 1)
    assert "該当データ" in result.preamble


# ------------------------------------------------------------------------------------------------ common


def test_preamble_is_kept_and_header_found_below_it(tmp_path: Path) -> None:
    text = (
        "契約電力算定結果内訳\r\n東京電力パワーグリッド\r\n対象年月,2024年4月分\r\n\r\n"
        "供給地点特定番号,対象年月,最大需要電力実績年月,最大需要電力,決定契約電力\r\n"
        f"{P1},202404,202404,100,100\r\n"
    )
    result = read_form(_write(tmp_path, "f.csv", text, "cp932"), "03")
    assert result.errors == []
    assert result.preamble == "契約電力算定結果内訳\n東京電力パワーグリッド\n対象年月,2024年4月分\n"
    assert result.table is not None
    assert _rows(result.table)[0]["source_line"] == 6


def test_header_beyond_search_window_is_not_found(tmp_path: Path) -> None:
    text = "title\n" * 20 + f"供給地点特定番号,対象年月,割引対象日数\n{P1},202404,1\n"
    result = read_form(_write(tmp_path, "f.csv", text), "03", form_id="curtailment_discounts")
    assert [p.rule_id for p in result.errors] == ["CSV001"]


def test_quoted_newlines_trailing_commas_and_blank_lines(tmp_path: Path) -> None:
    text = (
        "供給地点特定番号,対象年月,割引対象日数,割引対象コード,備考,,\r\n"
        f'{P1},202404,1,1,"line one\r\nline two",,\r\n'
        "\r\n"
        f"{P2},202404,2,1,,,\r\n"
    )
    result = read_form(_write(tmp_path, "f.csv", text), "03", form_id="curtailment_discounts")
    assert result.errors == []
    assert result.table is not None
    rows = _rows(result.table)
    assert [r["source_line"] for r in rows] == [2, 5]
    assert json.loads(str(rows[0]["extra"])) == {"備考": "line one\r\nline two"}
    assert rows[1]["extra"] is None
    assert [w.rule_id for w in result.warnings] == ["CSV031"]


def test_arrow_types_per_form(tmp_path: Path) -> None:
    f1 = arrow_schema(form_spec("generator_allocated_energy"))
    assert f1.field("receiving_point_id").type == pa.string()
    assert f1.field("usage_date").type == pa.date32()
    assert f1.field("slot").type == pa.int8()
    assert f1.field("kwh").type == pa.decimal128(18, 6)
    assert f1.field("split_code").type == pa.string()
    assert "day_total_kwh" not in f1.names
    f2 = arrow_schema(form_spec("contract_demand_breakdown"))
    assert f2.field("lookback_month").type == pa.date32()
    assert f2.field("contract_kw").type == pa.decimal128(18, 6)
    f3 = arrow_schema(form_spec("curtailment_discounts"))
    assert f3.field("discount_amount_yen").type == pa.decimal128(18, 2)
    assert f3.field("discount_rate").type == pa.decimal128(9, 6)
    assert f3.field("discount_days").type == pa.int16()
    assert f3.field("event_start").type == pa.timestamp("s")
    for schema in (f1, f2, f3):
        assert schema.names[-3:] == ["area_code", "source_line", "extra"]
        assert schema.field("source_line").type == pa.int32()
        assert not any(pa.types.is_floating(f.type) for f in schema)
