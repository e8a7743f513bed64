"""The tariff table as data (wheeling-charges.md §11.1): shipped tables, a user's file merged over them,
time-of-use calendars, and validation errors with rule ids and line numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from reconcile.tariff import COLUMNS, TariffError, load_tariffs, parse_slots
from reconcile.tou_calendar import is_national_holiday

HEADER = ",".join(COLUMNS)


def write(tmp_path: Path, *rows: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def row(
    tariff_id: str = "T1",
    charge: str = "basic",
    basis: str = "kW",
    band: str = "all",
    unit: str = "kW",
    price: str = "300.00",
    valid_from: str = "2024-01-01",
    valid_to: str = "",
    menu: str = "標準",
    area: str = "01",
    status: str = "",
    size: str = "",
) -> str:
    """One CSV line of a low-voltage tariff (pf_adjustment false, not a default menu)."""
    fields = [tariff_id, area, "low", menu, charge, basis, size, band, unit, price, valid_from, valid_to]
    return ",".join([*fields, "false", "false", status, "test"])


def energy(**kw: str) -> str:
    return row(charge="energy", basis="", unit="kWh", price=kw.pop("price", "10.00"), **kw)


def problems(excinfo: pytest.ExceptionInfo[TariffError]) -> list[str]:
    return [p.render() for p in excinfo.value.problems]


def test_shipped_tables_load_and_price_change_on_2025_10_01() -> None:
    tariffs = load_tariffs()
    before = tariffs.rate_set("01", "電灯標準接続送電サービス", date(2025, 9, 30))
    after = tariffs.rate_set("01", "電灯標準接続送電サービス", date(2025, 10, 1))
    price = {r.tariff_id: r.unit_price_yen for r in before + after if r.charge == "energy"}
    assert price == {"01-dento-hyojun-2024-04": Decimal("7.90"), "01-dento-hyojun-2025-10": Decimal("8.24")}
    assert {r.status for r in before + after} == {"confirmed"}


def test_shipped_rows_are_confirmed_or_secondary_with_a_source() -> None:
    rows = load_tariffs().rows
    assert {r.status for r in rows} == {"confirmed", "secondary"}
    assert all(r.source for r in rows)


def test_high_voltage_standard_menu_shipped_for_the_nine_mainland_areas_in_both_periods() -> None:
    tariffs = load_tariffs()
    for day in (date(2024, 4, 1), date(2025, 10, 1)):
        areas = {
            r.area_code
            for r in tariffs.rows
            if r.service_menu == "高圧標準接続送電サービス" and r.valid_on(day) and r.unit_price_yen is not None
        }
        assert areas == {f"{n:02d}" for n in range(1, 10)}  # Okinawa (10): no public figure
    kyushu = tariffs.rate_set("09", "高圧標準接続送電サービス", date(2025, 10, 1))
    assert {(r.charge, r.unit_price_yen, r.status) for r in kyushu} == {
        ("basic", Decimal("629.20"), "secondary"),
        ("energy", Decimal("2.06"), "secondary"),
    }


def test_default_menu_per_area_and_voltage() -> None:
    tariffs = load_tariffs()
    assert tariffs.default_menu("01", "low", date(2024, 4, 1)) == "電灯標準接続送電サービス"
    assert tariffs.default_menu("03", "low", date(2024, 3, 31)) == "電灯標準接続送電サービス"
    assert tariffs.default_menu("03", "low", date(2024, 4, 1)) is None  # TEPCO 2024 low-voltage rates: not public
    assert tariffs.default_menu("06", "high", date(2025, 11, 1)) == "高圧標準接続送電サービス"


def test_user_file_wins_over_the_shipped_tables_on_the_days_it_covers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        row(menu="電灯標準接続送電サービス", valid_from="2025-10-01"),
        energy(menu="電灯標準接続送電サービス", valid_from="2025-10-01", price="9.99"),
    )
    tariffs = load_tariffs(path)
    mine = tariffs.rate_set("01", "電灯標準接続送電サービス", date(2025, 10, 1))
    assert {(r.tariff_id, r.status) for r in mine} == {("T1", "user")}
    shipped = tariffs.rate_set("01", "電灯標準接続送電サービス", date(2025, 9, 30))
    assert {r.tariff_id for r in shipped} == {"01-dento-hyojun-2024-04"}


def test_user_file_may_mark_example_rates_but_not_confirmed_ones(tmp_path: Path) -> None:
    assert {r.status for r in load_tariffs(write(tmp_path, row(status="example"))).user_rows} == {"example"}
    with pytest.raises(TariffError) as err:
        load_tariffs(write(tmp_path, row(status="confirmed")))
    assert problems(err) == ["t.csv:2: error TF03: unknown status 'confirmed' (expected one of user, example)"]


def test_folder_of_tariff_files_is_read_whole(tmp_path: Path) -> None:
    write(tmp_path, row(), name="a.csv")
    write(tmp_path, row(tariff_id="T2", menu="別"), name="b.csv")
    assert load_tariffs(tmp_path, shipped=None).tariff_ids() == ["T1", "T2"]


def test_overlapping_validity_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        row(tariff_id="T1", valid_from="2024-01-01", valid_to="2024-06-30"),
        row(tariff_id="T2", valid_from="2024-06-30", valid_to=""),
    )
    with pytest.raises(TariffError) as err:
        load_tariffs(path)
    assert problems(err) == [
        "t.csv:3: error TF10: T2 (2024-06-30..9999-12-31) overlaps T1 (2024-01-01..2024-06-30) for area 01 low "
        "voltage 標準"
    ]


def test_unknown_unit_names_the_line_and_the_known_units(tmp_path: Path) -> None:
    with pytest.raises(TariffError) as err:
        load_tariffs(write(tmp_path, row(), row(charge="energy", basis="", unit="kwh")))
    assert problems(err) == [
        "t.csv:3: error TF03: unknown unit 'kwh' (expected one of kW, kVA, contract, kWh, lamp, appliance)"
    ]


def test_unit_basis_and_size_must_fit_the_charge(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        row(unit="kWh"),
        row(tariff_id="T2", menu="A", basis="A", unit="contract"),
        row(tariff_id="T3", menu="L", charge="lamp", basis="", unit="lamp"),
    )
    with pytest.raises(TariffError) as err:
        load_tariffs(path)
    assert problems(err) == [
        "t.csv:2: error TF04: a basic charge on basis 'kW' is priced per kW",
        "t.csv:3: error TF04: a basic charge on basis 'A' needs the amperes in size, e.g. 15",
        "t.csv:4: error TF04: a lamp row needs its size, e.g. 20W以下 or 50VA以下",
    ]


def test_day_band_needs_a_night_band(tmp_path: Path) -> None:
    with pytest.raises(TariffError) as err:
        load_tariffs(write(tmp_path, energy(band="day")))
    assert problems(err) == ["t.csv:2: error TF09: tariff_id 'T1' has energy bands ['day']; use all, or day + night"]


def test_rows_of_one_tariff_id_share_validity(tmp_path: Path) -> None:
    with pytest.raises(TariffError) as err:
        load_tariffs(write(tmp_path, row(), energy(valid_from="2024-02-01")))
    (message,) = problems(err)
    assert message.startswith("t.csv:3: error TF07: tariff_id 'T1' has valid_from 2024-02-01 but t.csv line 2 has")


def test_bad_price_and_reversed_dates_are_all_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path, row(price="abc"), row(tariff_id="T9", menu="x", valid_from="2024-05-01", valid_to="2024-04-01")
    )
    with pytest.raises(TariffError) as err:
        load_tariffs(path)
    assert problems(err) == [
        "t.csv:2: error TF05: unit_price_yen 'abc' is not a decimal number",
        "t.csv:3: error TF06: valid_to 2024-04-01 is before valid_from 2024-05-01",
    ]


def test_missing_file_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(TariffError, match="TF14: tariff file not found"):
        load_tariffs(tmp_path / "nope.csv")


def test_slot_ranges() -> None:
    assert parse_slots("1-16,45-48") == frozenset([*range(1, 17), 45, 46, 47, 48])
    with pytest.raises(ValueError, match=r"not within 1\.\.48"):
        parse_slots("40-49")


def test_shipped_calendar_tokyo_sundays_holidays_and_listed_days_are_night_all_day() -> None:
    tokyo = load_tariffs().calendar("03")
    assert tokyo is not None and tokyo.status == "confirmed"
    slot_noon = 25  # 12:00-12:30
    assert tokyo.band(date(2025, 10, 14), slot_noon) == "day"  # a Tuesday
    assert tokyo.band(date(2025, 10, 14), 44) == "day" and tokyo.band(date(2025, 10, 14), 45) == "night"  # 22:00
    assert tokyo.band(date(2025, 10, 12), slot_noon) == "night"  # Sunday
    assert tokyo.band(date(2025, 10, 13), slot_noon) == "night"  # スポーツの日 (national holiday)
    assert tokyo.band(date(2025, 12, 30), slot_noon) == "night"  # listed year-end day
    assert load_tariffs().calendar("02") is None  # Tohoku's own dates are not public


def test_national_holidays_come_from_the_japan_calendar() -> None:
    assert is_national_holiday(date(2025, 2, 24))  # 振替休日 for 天皇誕生日 on a Sunday
    assert is_national_holiday(date(2026, 9, 22))  # 国民の休日 between 敬老の日 and 秋分の日
    assert not is_national_holiday(date(2025, 12, 30))


def test_bad_calendar_row_has_a_rule_id(tmp_path: Path) -> None:
    write(tmp_path, row())
    (tmp_path / "calendars.csv").write_text(
        "area_code,day_slots,night_all_day,status,source\n01,17-44,sunday;holiday,,x\n", encoding="utf-8"
    )
    with pytest.raises(TariffError) as err:
        load_tariffs(tmp_path)
    assert problems(err) == [
        "calendars.csv:2: error TF12: 'holiday' is not a weekday name, national_holiday or a MM-DD date such as 12-31"
    ]
