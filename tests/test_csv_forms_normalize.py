"""Values and headers, csv-forms.md §6.4 and §6.6: NFKC, NULL tokens, decimals, dates, eras, ids."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from parsers.csv_forms.convert import convert
from parsers.csv_forms.normalize import (
    ValueParseError,
    find_month,
    normalize_header,
    normalize_value,
    parse_date,
    parse_decimal,
    parse_month,
    parse_point_id,
    parse_rate,
    parse_slot,
    parse_time_minutes,
    parse_timestamp,
)
from parsers.csv_forms.problems import Rule


def test_header_normalization_matches_full_width_brackets_and_spaces() -> None:
    assert normalize_header("最大需要電力（ｋＷ）") == normalize_header("最大需要電力(kW)")
    assert normalize_header(" 供給地点　特定番号 ") == normalize_header("供給地点特定番号")
    assert normalize_header('"年月日"') == "年月日"
    assert normalize_header("0:00～0:30") == "0:00~0:30"


@pytest.mark.parametrize("cell", ["", "  ", "-", "－", "―", "　"])
def test_null_tokens_are_null(cell: str) -> None:
    assert normalize_value(cell) is None


def test_values_are_nfkc_and_trimmed() -> None:
    assert normalize_value("　１２３．５ ") == "123.5"
    assert normalize_value(" ＡＢＣ ") == "ABC"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.5", Decimal("1234.5")),
        ("▲1,234", Decimal("-1234")),
        ("△12.50", Decimal("-12.50")),
        ("-3", Decimal("-3")),
        ("+3", Decimal("3")),
        (".5", Decimal("0.5")),
        ("0", Decimal("0")),
    ],
)
def test_decimals_are_exact(text: str, expected: Decimal) -> None:
    value = parse_decimal(text)
    assert isinstance(value, Decimal)
    assert value == expected


@pytest.mark.parametrize("text", ["abc", "1e5", "NaN", "Infinity", "1.2.3", "--1", "▲-1"])
def test_non_numbers_are_rejected(text: str) -> None:
    with pytest.raises(ValueParseError) as e:
        parse_decimal(text)
    assert e.value.rule is Rule.BAD_NUMBER


def test_rate_accepts_percent() -> None:
    assert parse_rate("8%") == Decimal("0.08")
    assert parse_rate("0.04") == Decimal("0.04")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20240401", date(2024, 4, 1)),
        ("2024/4/1", date(2024, 4, 1)),
        ("2024-04-01", date(2024, 4, 1)),
        ("2024年4月1日", date(2024, 4, 1)),
        ("令和6年4月1日", date(2024, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R6.4.1", date(2024, 4, 1)),
        ("R06/04/01", date(2024, 4, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("H30.12.31", date(2018, 12, 31)),
    ],
)
def test_dates_in_all_formats(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2024/02/30", "20241301", "2024-4", "令和6年13月1日", "yesterday"])
def test_invalid_dates(text: str) -> None:
    with pytest.raises(ValueParseError) as e:
        parse_date(text)
    assert e.value.rule is Rule.BAD_DATE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("202404", date(2024, 4, 1)),
        ("2024/04", date(2024, 4, 1)),
        ("2024/4", date(2024, 4, 1)),
        ("2024-04", date(2024, 4, 1)),
        ("2024年4月", date(2024, 4, 1)),
        ("令和6年4月", date(2024, 4, 1)),
        ("R6.4", date(2024, 4, 1)),
        ("R06/04", date(2024, 4, 1)),
        ("平成30年12月", date(2018, 12, 1)),
        ("H31.4", date(2019, 4, 1)),
        ("2024/04/15", date(2024, 4, 1)),
    ],
)
def test_year_months_in_all_formats(text: str, expected: date) -> None:
    assert parse_month(text) == expected


@pytest.mark.parametrize("text", ["202413", "2024/00", "April", "20245"])
def test_invalid_months(text: str) -> None:
    with pytest.raises(ValueParseError) as e:
        parse_month(text)
    assert e.value.rule is Rule.BAD_MONTH


def test_find_month_in_a_title_line() -> None:
    assert find_month("対象年月 2024年4月分") == date(2024, 4, 1)
    assert find_month("令和６年５月分") == date(2024, 5, 1)
    assert find_month("制限中止割引時間") is None


def test_times_allow_24_00_as_end_of_day() -> None:
    assert parse_time_minutes("24:00") == 1440
    assert parse_time_minutes("0:30") == 30
    with pytest.raises(ValueError):
        parse_time_minutes("24:30")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024/04/01 10:30", datetime(2024, 4, 1, 10, 30)),
        ("2024-04-01T10:30:15", datetime(2024, 4, 1, 10, 30, 15)),
        ("202404011030", datetime(2024, 4, 1, 10, 30)),
        ("2024/04/01 24:00", datetime(2024, 4, 2, 0, 0)),
        ("R6.4.1 9:05", datetime(2024, 4, 1, 9, 5)),
        ("2024年4月1日 10時30分", datetime(2024, 4, 1, 10, 30)),
    ],
)
def test_timestamps(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("text", ["2024/04/01", "2024/04/01 25:00", "2024/04/01 10:61", "now"])
def test_invalid_timestamps(text: str) -> None:
    with pytest.raises(ValueParseError) as e:
        parse_timestamp(text)
    assert e.value.rule is Rule.BAD_TIMESTAMP


@pytest.mark.parametrize(
    "text",
    [
        "0300000000000000000007",
        "03-0000-0000-0000-0000-0007",
        "03 0000 0000 0000 0000 0007",
        "03‐0000‐0000‐0000‐0000‐0007",
    ],
)
def test_point_ids_lose_separators(text: str) -> None:
    assert parse_point_id(text) == "0300000000000000000007"


@pytest.mark.parametrize("text", ["030000000000000000007", "1100000000000000000007", "0000000000000000000007", "03ABC"])
def test_bad_point_ids(text: str) -> None:
    with pytest.raises(ValueParseError) as e:
        parse_point_id(text)
    assert e.value.rule is Rule.BAD_POINT_ID


@pytest.mark.parametrize(
    ("text", "slot"), [("1", 1), ("48", 48), ("コマ5", 5), ("02:00-02:30", 5), ("23:30-24:00", 48)]
)
def test_slot_values(text: str, slot: int) -> None:
    assert parse_slot(text) == slot


def test_quantities_reject_negatives_and_excess_scale_but_yen_may_be_negative() -> None:
    with pytest.raises(ValueParseError) as e:
        convert("quantity", "▲1")
    assert e.value.rule is Rule.NEGATIVE
    with pytest.raises(ValueParseError) as e:
        convert("quantity", "1.1234567")
    assert e.value.rule is Rule.BAD_NUMBER
    assert convert("quantity", "1.1234560") == Decimal("1.123456")
    assert convert("yen", "▲1,234.5") == Decimal("-1234.50")
    assert convert("days", "3") == 3
    with pytest.raises(ValueParseError) as e:
        convert("days", "1.5")
    assert e.value.rule is Rule.BAD_INTEGER
