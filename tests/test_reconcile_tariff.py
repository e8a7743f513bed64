"""The tariff table as data (wheeling-charges.md §11.1): shipped tables and validation errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from reconcile.tariff import COLUMNS, TariffError, load_tariffs, parse_slots

HEADER = ",".join(COLUMNS)


def write(tmp_path: Path, *rows: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def row(
    tariff_id: str = "T1",
    charge: str = "basic",
    basis: str = "実量契約",
    band: str = "all",
    slots: str = "",
    unit: str = "kW",
    price: str = "300.00",
    valid_from: str = "2024-01-01",
    valid_to: str = "",
    menu: str = "標準",
) -> str:
    """One CSV line of a low-voltage area-01 tariff (pf_adjustment false, not a default menu)."""
    fields = [tariff_id, "01", "low", menu, charge, basis, band, f'"{slots}"', unit, price, valid_from, valid_to]
    return ",".join([*fields, "false", "false", "assumed", "test"])


def test_shipped_tables_load_and_price_change_on_2025_10_01() -> None:
    tariffs = load_tariffs()
    before = tariffs.rate_set("01", "電灯標準接続送電サービス", date(2025, 9, 30))
    after = tariffs.rate_set("01", "電灯標準接続送電サービス", date(2025, 10, 1))
    price = {r.tariff_id: r.unit_price_yen for r in before + after if r.charge == "energy"}
    assert price == {"hepco-lv-hyojun-2019-10": Decimal("7.90"), "hepco-lv-hyojun-2025-10": Decimal("8.24")}


def test_shipped_tables_cover_tepco_and_high_voltage() -> None:
    tariffs = load_tariffs()
    tepco = tariffs.rate_set("03", "従量電灯", date(2023, 4, 1))
    assert {(r.charge, r.unit_price_yen) for r in tepco} == {("basic", Decimal("230.67")), ("energy", Decimal("7.48"))}
    hv = tariffs.rate_set("02", "高圧接続送電サービス", date(2025, 10, 1))
    assert {(r.charge, r.unit_price_yen) for r in hv} == {("basic", None), ("energy", Decimal("2.15"))}


def test_default_menu_per_area_and_voltage() -> None:
    tariffs = load_tariffs()
    assert tariffs.default_menu("01", "low", date(2024, 4, 1)) == "電灯標準接続送電サービス"
    assert tariffs.default_menu("03", "low", date(2024, 3, 31)) == "従量電灯"
    assert tariffs.default_menu("03", "low", date(2024, 4, 1)) is None  # TEPCO 2024 rates not in the spec


def test_user_file_is_used_instead_of_the_shipped_tables(tmp_path: Path) -> None:
    path = write(tmp_path, row(), row(charge="energy", basis="", unit="kWh", price="10.00"))
    tariffs = load_tariffs(path)
    assert tariffs.tariff_ids() == ["T1"]


def test_folder_of_tariff_files_is_read_whole(tmp_path: Path) -> None:
    write(tmp_path, row(), name="a.csv")
    write(tmp_path, row(tariff_id="T2", menu="別"), name="b.csv")
    assert load_tariffs(tmp_path).tariff_ids() == ["T1", "T2"]


def test_overlapping_validity_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        row(tariff_id="T1", valid_from="2024-01-01", valid_to="2024-06-30"),
        row(tariff_id="T2", valid_from="2024-06-30", valid_to=""),
    )
    with pytest.raises(TariffError, match=r"overlapping validity .* T1 \(2024-01-01..2024-06-30\) and T2"):
        load_tariffs(path)


def test_unknown_unit_names_the_line_and_the_known_units(tmp_path: Path) -> None:
    path = write(tmp_path, row(), row(charge="energy", basis="", unit="kwh"))
    with pytest.raises(TariffError, match=r"t.csv line 3: unknown unit 'kwh' \(expected one of .*kWh"):
        load_tariffs(path)


def test_unit_must_fit_the_charge(tmp_path: Path) -> None:
    with pytest.raises(TariffError, match="unit 'kWh' does not fit charge 'basic'"):
        load_tariffs(write(tmp_path, row(unit="kWh")))


def test_time_of_use_bands_must_cover_48_slots_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        row(charge="energy", basis="", band="day", slots="17-44", unit="kWh"),
        row(charge="energy", basis="", band="night", slots="1-17,45-48", unit="kWh"),
    )
    with pytest.raises(TariffError, match=r"must cover slots 1\.\.48 exactly once"):
        load_tariffs(path)


def test_rows_of_one_tariff_id_share_validity(tmp_path: Path) -> None:
    path = write(tmp_path, row(), row(charge="energy", basis="", unit="kWh", valid_from="2024-02-01"))
    with pytest.raises(TariffError, match="all rows of a tariff_id must share it"):
        load_tariffs(path)


def test_bad_price_and_reversed_dates_are_all_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path, row(price="abc"), row(tariff_id="T9", menu="x", valid_from="2024-05-01", valid_to="2024-04-01")
    )
    with pytest.raises(TariffError) as err:
        load_tariffs(path)
    assert "'abc' is not a decimal number" in str(err.value)
    assert "valid_to 2024-04-01 is before valid_from 2024-05-01" in str(err.value)


def test_missing_file_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(TariffError, match="tariff file not found"):
        load_tariffs(tmp_path / "nope.csv")


def test_slot_ranges() -> None:
    assert parse_slots("1-16,45-48") == frozenset([*range(1, 17), 45, 46, 47, 48])
    with pytest.raises(ValueError, match=r"not within 1\.\.48"):
        parse_slots("40-49")
