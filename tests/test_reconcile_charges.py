"""The charge calculation (wheeling-charges.md §2-§10), hand-computed cases with the arithmetic shown."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D
from typing import Any

import pytest

from reconcile.charges import ChargeInput, calculate_charge, calculate_charges, pf_multiplier
from reconcile.contract import SupplyPointContract
from reconcile.tariff import COLUMNS, TariffTable, load_tariffs
from warehouse.charges import CHARGE_COLUMN_NAMES

# A test tariff with round numbers (a user's file: rate_status 'user'). T1 → T2 is a price change on 2024-10-01.
TARIFF = f"""{",".join(COLUMNS)}
T1,01,low,標準,basic,kW,,all,kW,300.00,2024-01-01,2024-09-30,false,false,,test
T1,01,low,標準,energy,,,all,kWh,10.00,2024-01-01,2024-09-30,false,false,,test
T2,01,low,標準,basic,kW,,all,kW,330.00,2024-10-01,,false,false,,test
T2,01,low,標準,energy,,,all,kWh,11.00,2024-10-01,,false,false,,test
H1,01,high,高圧,basic,kW,,all,kW,1000.00,2024-01-01,,true,false,,test
H1,01,high,高圧,energy,,,all,kWh,20.00,2024-01-01,,true,false,,test
TOU1,01,low,時間帯別,basic,kW,,all,kW,300.00,2024-01-01,,false,false,,test
TOU1,01,low,時間帯別,energy,,,day,kWh,12.00,2024-01-01,,false,false,,test
TOU1,01,low,時間帯別,energy,,,night,kWh,8.00,2024-01-01,,false,false,,test
TOU2,02,low,時間帯別,basic,kW,,all,kW,300.00,2024-01-01,,false,false,,test
TOU2,02,low,時間帯別,energy,,,day,kWh,12.00,2024-01-01,,false,false,,test
TOU2,02,low,時間帯別,energy,,,night,kWh,8.00,2024-01-01,,false,false,,test
"""
# 昼間 08:00-22:00; Sundays, national holidays and 04-30 are 夜間 all day (area 01 only; area 02 has none)
CALENDAR = """area_code,day_slots,night_all_day,status,source
01,17-44,sunday;national_holiday;04-30,,test
"""
APRIL = date(2024, 4, 1)
OCTOBER_2025 = dict(target_month=date(2025, 10, 1), period_start=date(2025, 10, 1), period_end=date(2025, 10, 31))


@pytest.fixture(scope="module")
def tariffs(tmp_path_factory: pytest.TempPathFactory) -> TariffTable:
    folder = tmp_path_factory.mktemp("tariff")
    (folder / "test.csv").write_text(TARIFF, encoding="utf-8")
    (folder / "calendars.csv").write_text(CALENDAR, encoding="utf-8")
    return load_tariffs(folder, shipped=None)


def contract(menu: str = "標準", quantity: D | None = D("5"), **kw) -> SupplyPointContract:
    return SupplyPointContract(
        "0100000000000000000001", kw.pop("area_code", "01"), menu, contract_quantity=quantity, **kw
    )


def inp(**kw: Any) -> ChargeInput:
    """A charge input of April for one point; ``service_menu``, ``contract_quantity``, ``contracts`` and any
    ChargeInput field can be given."""
    service_menu = kw.pop("service_menu", "標準")
    contract_quantity = kw.pop("contract_quantity", D("5"))
    contracts = kw.pop("contracts", None)
    base: dict[str, Any] = dict(
        supply_point_id="0100000000000000000001",
        area_code="01",
        target_month=APRIL,
        period_start=date(2024, 4, 1),
        period_end=date(2024, 4, 30),
        contracts=contracts or (contract(service_menu, contract_quantity, area_code=kw.get("area_code", "01")),),
        monthly_kwh=D("300"),
    )
    base.update(kw)
    return ChargeInput(**base)


def every_slot(start: date, end: date, value: D, slots=range(1, 49)) -> dict[date, dict[int, D]]:
    days = (end - start).days + 1
    return {start + timedelta(days=n): dict.fromkeys(slots, value) for n in range(days)}


def test_charge_line_fields_are_the_declared_dataset_columns(tariffs: TariffTable) -> None:
    assert tuple(calculate_charge(inp(), tariffs).as_dict()) == CHARGE_COLUMN_NAMES


def test_basic_and_energy_for_a_full_month(tariffs: TariffTable) -> None:
    line = calculate_charge(inp(), tariffs)
    # basic 5 kW × 300.00 = 1,500.00; energy 300 kWh × 10.00 = 3,000.00; total 4,500
    assert (line.basic_charge, line.energy_charge, line.total_yen) == (D("1500.00"), D("3000.00"), D("4500"))
    assert (line.tariff_id, line.is_prorated, line.kwh_source) == ("T1", False, "monthly_usage")
    assert line.power_factor_adjustment == 0 and line.pf_multiplier is None
    assert (line.status, line.reason, line.rate_status) == ("computed", None, "user")


def test_spec_worked_example_hepco_2025_10() -> None:
    # wheeling-charges.md §11.2: 5 kW × 295.90 = 1,479.50; 300 kWh × 8.24 = 2,472.00; 3,951.50 → 3,951
    line = calculate_charge(
        inp(
            service_menu="電灯標準接続送電サービス",
            target_month=date(2025, 10, 1),
            period_start=date(2025, 10, 1),
            period_end=date(2025, 10, 31),
        ),
        load_tariffs(),
    )
    assert (line.basic_charge, line.energy_charge, line.total_yen) == (D("1479.50"), D("2472.00"), D("3951"))
    assert (line.tariff_id, line.rate_status) == ("01-dento-hyojun-2025-10", "confirmed")


def test_total_is_truncated_not_rounded() -> None:
    # HEPCO until 2025-09-30: 5 kW × 276.10 = 1,380.50; 100 kWh × 7.90 = 790.00; 2,170.50 → 2,170 (not 2,171)
    line = calculate_charge(inp(service_menu="電灯標準接続送電サービス", monthly_kwh=D("100")), load_tariffs())
    assert line.basic_charge is not None and line.energy_charge is not None
    assert line.basic_charge + line.energy_charge == D("2170.50")
    assert line.total_yen == D("2170")


@pytest.mark.parametrize(
    ("kwh", "billed"),
    [
        (D("300.5"), D("301")),  # half up; Python's round() would give 300 (half to even)
        (D("300.49"), D("300")),
        (D("301.5"), D("302")),
    ],
)
def test_kwh_rounds_half_up_to_one_kwh(tariffs: TariffTable, kwh: D, billed: D) -> None:
    line = calculate_charge(inp(monthly_kwh=kwh), tariffs)
    assert line.billed_kwh == billed
    assert line.energy_charge == billed * D("10.00")


def test_contract_kw_rounds_half_up(tariffs: TariffTable) -> None:
    # 4.5 kW → 5 kW (half even would give 4): 5 × 300.00 = 1,500.00; 4.49 kW → 4 kW: 1,200.00
    assert calculate_charge(inp(contract_quantity=D("4.5")), tariffs).basic_charge == D("1500.00")
    assert calculate_charge(inp(contract_quantity=D("4.49")), tariffs).basic_charge == D("1200.00")


@pytest.mark.parametrize(
    ("pf", "multiplier", "adjustment", "total"),
    [
        # basic 100 kW × 1,000.00 = 100,000.00; energy 1,000 kWh × 20.00 = 20,000.00
        (D("80"), D("1.05"), D("5000.00"), D("125000")),  # surcharge: (185 − 80) / 100 = 1.05
        (D("90"), D("0.95"), D("-5000.00"), D("115000")),  # discount: (185 − 90) / 100 = 0.95
        (D("84.5"), D("1.00"), D("0.00"), D("120000")),  # PF 84.5 → 85 (half up) → neutral
        (D("85.5"), D("0.99"), D("-1000.00"), D("119000")),  # PF 85.5 → 86 → 0.99
    ],
)
def test_power_factor_surcharge_and_discount(
    tariffs: TariffTable, pf: D, multiplier: D, adjustment: D, total: D
) -> None:
    line = calculate_charge(
        inp(service_menu="高圧", voltage="high", contract_quantity=D("100"), monthly_kwh=D("1000"), power_factor=pf),
        tariffs,
    )
    assert line.pf_multiplier == multiplier
    assert line.power_factor_adjustment == adjustment
    assert line.total_yen == total


def test_pf_multiplier_formula() -> None:
    assert pf_multiplier(D("100")) == D("0.85")
    assert pf_multiplier(D("70")) == D("1.15")


def test_missing_power_factor_means_no_adjustment_with_a_note(tariffs: TariffTable) -> None:
    line = calculate_charge(inp(service_menu="高圧", contract_quantity=D("100"), monthly_kwh=D("0")), tariffs)
    assert line.power_factor_adjustment == 0
    assert "power factor missing" in line.note


def test_low_voltage_rows_without_pf_flag_are_not_adjusted(tariffs: TariffTable) -> None:
    line = calculate_charge(inp(power_factor=D("70")), tariffs)
    assert (line.power_factor_adjustment, line.pf_multiplier) == (D("0.00"), None)


def test_period_more_than_5_days_short_is_prorated(tariffs: TariffTable) -> None:
    # 2024-04-01..04-20 = 20 days; April has 30; |20 − 30| = 10 > 5 → 5 kW × 300.00 × 20/30 = 1,000.00
    line = calculate_charge(inp(period_end=date(2024, 4, 20)), tariffs)
    assert line.is_prorated and line.basic_charge == D("1000.00")


def test_period_exactly_5_days_short_is_a_full_month(tariffs: TariffTable) -> None:
    # 25 days vs 30: |25 − 30| = 5, not more than 5 → one full month: 1,500.00
    line = calculate_charge(inp(period_end=date(2024, 4, 25)), tariffs)
    assert not line.is_prorated and line.basic_charge == D("1500.00")


def test_long_period_is_prorated_upwards(tariffs: TariffTable) -> None:
    # 2024-03-27..2024-05-01 = 36 days, |36 − 30| = 6 > 5 → 5 × 300.00 × 36/30 = 1,800.00
    line = calculate_charge(inp(period_start=date(2024, 3, 27), period_end=date(2024, 5, 1)), tariffs)
    assert line.is_prorated and line.basic_charge == D("1800.00")


def test_prorated_amount_keeps_sen_half_up() -> None:
    # HEPCO: 5 kW × 276.10 × 20/30 = 920.3333… → 920.33 (sen)
    line = calculate_charge(inp(service_menu="電灯標準接続送電サービス", period_end=date(2024, 4, 20)), load_tariffs())
    assert line.basic_charge == D("920.33")


def test_price_change_inside_the_period_splits_it_by_day(tariffs: TariffTable) -> None:
    start, end = date(2024, 9, 16), date(2024, 10, 15)  # 30 days; October has 31 → not pro-rated
    line = calculate_charge(
        inp(
            target_month=date(2024, 10, 1),
            period_start=start,
            period_end=end,
            monthly_kwh=D("999"),  # ignored: a price change needs the daily values
            slot_kwh=every_slot(start, end, D("0.25")),  # 48 × 0.25 = 12 kWh a day
        ),
        tariffs,
    )
    # T1 09-16..09-30 (15 days): basic 5 × 300.00 × 15/30 = 750.00; energy 15 × 12 = 180 kWh × 10.00 = 1,800.00
    # T2 10-01..10-15 (15 days): basic 5 × 330.00 × 15/30 = 825.00; energy 180 kWh × 11.00 = 1,980.00
    assert line.basic_charge == D("1575.00")
    assert line.energy_charge == D("3780.00")
    assert line.total_yen == D("5355")
    assert (line.tariff_id, line.tariff_ids, line.kwh_source) == ("T2", "T1,T2", "interval_usage")


def test_time_of_use_bands_follow_the_calendar(tariffs: TariffTable) -> None:
    slots = every_slot(date(2024, 4, 1), date(2024, 4, 30), D("0.5"), range(17, 45))
    night = every_slot(date(2024, 4, 1), date(2024, 4, 30), D("0.25"), [*range(1, 17), *range(45, 49)])
    for day, values in night.items():
        slots[day].update(values)
    line = calculate_charge(inp(service_menu="時間帯別", slot_kwh=slots, monthly_kwh=D("999")), tariffs)
    # A day: 28 day-band slots × 0.5 = 14 kWh, 20 night slots × 0.25 = 5 kWh.
    # 夜間 all day: Sundays 04-07, 04-14, 04-21, 04-28; 04-29 昭和の日 (national holiday); 04-30 (listed) = 6 days.
    # day:   24 ordinary days × 14 = 336 kWh × 12.00 = 4,032.00
    # night: 30 days × 5 + 6 days × 14 = 234 kWh × 8.00 = 1,872.00
    assert (line.kwh_day, line.kwh_night) == (D("336"), D("234"))
    assert line.energy_charge == D("5904.00")
    assert line.total_yen == D("7404")  # + basic 1,500.00; the monthly total (999) is not used for bands
    assert line.kwh_source == "interval_usage" and "area 01 time-of-use calendar" in line.note


def test_substitute_holiday_counts_as_a_national_holiday(tariffs: TariffTable) -> None:
    # 2024-05-06 is 振替休日 (substitute holiday for 05-05, a Sunday): all 48 slots are 夜間
    day = date(2024, 5, 6)
    line = calculate_charge(
        inp(
            service_menu="時間帯別",
            target_month=date(2024, 5, 1),
            period_start=day,
            period_end=day,
            slot_kwh=every_slot(day, day, D("1")),
            contracts=(contract("時間帯別", supply_start=day, supply_end=day),),
        ),
        tariffs,
    )
    assert (line.kwh_day, line.kwh_night) == (D("0"), D("48"))


def test_time_of_use_without_a_calendar_is_not_computed(tariffs: TariffTable) -> None:
    (line,) = calculate_charges(
        [inp(service_menu="時間帯別", area_code="02", slot_kwh=every_slot(APRIL, date(2024, 4, 30), D("1")))],
        tariffs,
    )
    assert (line.status, line.total_yen) == ("not_computed", None)
    assert "no time-of-use calendar for area 02" in line.reason


def test_time_of_use_with_missing_30_minute_values_is_not_computed(tariffs: TariffTable) -> None:
    slots = every_slot(APRIL, date(2024, 4, 30), D("1"))
    del slots[date(2024, 4, 10)][20]
    (line,) = calculate_charges([inp(service_menu="時間帯別", slot_kwh=slots)], tariffs)
    assert (line.status, line.energy_charge, line.total_yen) == ("not_computed", None, None)
    assert line.reason.startswith("1 of 1440 30-minute confirmed values are missing")


def test_curtailment_discount_per_counted_day(tariffs: TariffTable) -> None:
    march = dict(target_month=date(2024, 3, 1), period_start=date(2024, 3, 1), period_end=date(2024, 3, 31))
    line = calculate_charge(inp(**march, curtailment_days=2), tariffs)
    # (basic 1,500.00 + PF 0) × 0.04 × 2 days = 120.00; total 1,500 + 3,000 − 120 = 4,380
    assert (line.discount_rate, line.curtailment_discount, line.total_yen) == (D("0.08"), D("120.00"), D("4380"))


def test_curtailment_discount_uses_the_pf_adjusted_basic_charge(tariffs: TariffTable) -> None:
    march = dict(target_month=date(2024, 3, 1), period_start=date(2024, 3, 1), period_end=date(2024, 3, 31))
    line = calculate_charge(
        inp(
            **march,
            service_menu="高圧",
            contract_quantity=D("100"),
            monthly_kwh=D("0"),
            power_factor=D("90"),
            curtailment_days=3,
        ),
        tariffs,
    )
    # (100,000.00 − 5,000.00) × 0.04 × 3 = 11,400.00; total 95,000 − 11,400 = 83,600
    assert line.curtailment_discount == D("11400.00")
    assert line.total_yen == D("83600")


def test_curtailment_rate_from_form_3_wins_over_days(tariffs: TariffTable) -> None:
    march = dict(target_month=date(2024, 3, 1), period_start=date(2024, 3, 1), period_end=date(2024, 3, 31))
    line = calculate_charge(inp(**march, curtailment_rate=D("0.05"), curtailment_days=9), tariffs)
    assert line.curtailment_discount == D("75.00")  # 1,500.00 × 0.05


def test_curtailment_discount_not_applied_after_abolition(tariffs: TariffTable) -> None:
    line = calculate_charge(inp(curtailment_days=2), tariffs)  # April 2024, area 01: last month 2024-03
    assert line.curtailment_discount == 0 and line.total_yen == D("4500")
    assert "abolished" in line.note
    kept = calculate_charge(inp(curtailment_days=2), tariffs, curtailment_until={"01": date(2024, 4, 1)})
    assert kept.curtailment_discount == D("120.00")


def test_contract_excess_for_negotiated_points(tariffs: TariffTable) -> None:
    base = dict(service_menu="高圧", contract_quantity=D("100"), monthly_kwh=D("0"), max_demand_kw=D("110.4"))
    line = calculate_charge(inp(**base, determination_kind="negotiated", power_factor=D("90")), tariffs)
    # 110.4 → 110 kW; excess 10 kW × 1,000.00 × 1.5 × 0.95 = 14,250.00
    assert line.contract_excess_charge == D("14250.00")
    # basic 100,000.00 − 5,000.00 + 14,250.00 = 109,250
    assert line.total_yen == D("109250")
    actual = calculate_charge(inp(**base, determination_kind="actual", power_factor=D("90")), tariffs)
    assert actual.contract_excess_charge == 0


def test_flat_rate_lamps_and_appliances() -> None:
    items = {"20W以下": 2, "50VA以下": 1}
    line = calculate_charge(
        inp(
            **OCTOBER_2025, contracts=(contract("電灯定額接続送電サービス", None, contract_basis="lamp", items=items),)
        ),
        load_tariffs(),
    )
    # HEPCO from 2025-10-01: 2 lamps × 88.87 = 177.74; 1 appliance × 132.72; 310.46 → 310 yen; no energy charge
    assert line.basic_charge == D("310.46") and line.energy_charge == 0 and line.total_yen == D("310")
    assert (line.status, line.rate_status, line.kwh_source) == ("computed", "confirmed", "none")
    assert "2 × 20W以下 × 88.87 × 31/31 = 177.74" in line.detail


def test_flat_rate_without_counts_is_not_computed_never_zero_yen() -> None:
    for basis in ("lamp", None):  # a register row without items, or a menu given without its basis
        (line,) = calculate_charges(
            [inp(**OCTOBER_2025, contracts=(contract("電灯定額接続送電サービス", None, contract_basis=basis),))],
            load_tariffs(),
        )
        assert line.status == "not_computed"
        assert (line.basic_charge, line.energy_charge, line.total_yen) == (None, None, None)
        assert "priced per lamp and appliance (定額)" in line.reason and "no lamp or appliance counts" in line.reason


def test_kva_basis_point() -> None:
    line = calculate_charge(
        inp(
            **OCTOBER_2025,
            monthly_kwh=D("250"),
            contracts=(contract("電灯標準接続送電サービス", D("6"), contract_basis="kVA"),),
        ),
        load_tariffs(),
    )
    # HEPCO 電灯標準 SB・主開閉器契約 from 2025-10-01: 6 kVA × 236.50 = 1,419.00; 250 kWh × 8.24 = 2,060.00
    # 3,479.00 → 3,479
    assert (line.basic_charge, line.energy_charge, line.total_yen) == (D("1419.00"), D("2060.00"), D("3479"))
    assert (line.contract_basis, line.contract_unit, line.contract_quantity) == ("kVA", "kVA", D("6"))


def test_ampere_basis_point() -> None:
    line = calculate_charge(
        inp(
            **OCTOBER_2025,
            monthly_kwh=D("100"),
            contracts=(contract("電灯標準接続送電サービス", D("15"), contract_basis="A"),),
        ),
        load_tariffs(),
    )
    # HEPCO 電灯標準 SB契約 15 A from 2025-10-01: 354.75 per contract; 100 kWh × 8.24 = 824.00; 1,178.75 → 1,178
    assert (line.basic_charge, line.energy_charge, line.total_yen) == (D("354.75"), D("824.00"), D("1178"))
    assert (line.contract_basis, line.contract_unit, line.contract_quantity) == ("A", "contract", D("1"))
    assert "1 contract (SB 15 A) × 354.75 × 31/31 = 354.75" in line.detail


def test_ampere_size_without_a_price_is_not_computed() -> None:
    (line,) = calculate_charges(
        [inp(**OCTOBER_2025, contracts=(contract("電灯標準接続送電サービス", D("30"), contract_basis="A"),))],
        load_tariffs(),
    )
    assert (line.status, line.total_yen) == ("not_computed", None)
    assert "no basic charge for a 30 A contract (A contracts: 5 A, 15 A)" in line.reason


def test_contract_change_in_mid_period_splits_and_prorates(tariffs: TariffTable) -> None:
    before = contract(quantity=D("5"), valid_to=date(2024, 4, 15))
    after = contract(quantity=D("8"), valid_from=date(2024, 4, 16))
    line = calculate_charge(inp(contracts=(before, after)), tariffs)
    # 04-01..04-15 at 5 kW: 5 × 300.00 × 15/30 = 750.00; 04-16..04-30 at 8 kW: 8 × 300.00 × 15/30 = 1,200.00
    # energy: one price for the whole period → the monthly total 300 kWh × 10.00 = 3,000.00; total 4,950
    assert (line.basic_charge, line.energy_charge, line.total_yen) == (D("1950.00"), D("3000.00"), D("4950"))
    assert line.is_prorated and "contract changes 2024-04-16" in line.detail
    assert line.contract_quantity == D("8")  # the contract in force on period_end


def test_supply_start_within_5_days_of_a_full_month_is_prorated(tariffs: TariffTable) -> None:
    started = calculate_charge(inp(contracts=(contract(supply_start=date(2024, 4, 4)),)), tariffs)
    # supply from 04-04: 27 days, only 3 short of April's 30, but a supply start always pro-rates (§10.1):
    # 5 kW × 300.00 × 27/30 = 1,350.00; energy 300 kWh × 10.00 = 3,000.00; total 4,350
    assert (started.period_start, started.period_days, started.is_prorated) == (date(2024, 4, 4), 27, True)
    assert (started.basic_charge, started.total_yen) == (D("1350.00"), D("4350"))
    assert "supply starts 2024-04-04" in started.detail
    # the same 27 days as a reading period (no supply start) is one full month: 5 × 300.00 = 1,500.00
    shifted = calculate_charge(inp(period_start=date(2024, 4, 4)), tariffs)
    assert (shifted.is_prorated, shifted.basic_charge) == (False, D("1500.00"))


def test_high_voltage_shipped_rates_are_secondary() -> None:
    line = calculate_charge(
        inp(
            **OCTOBER_2025,
            area_code="03",
            voltage="high",
            monthly_kwh=D("10000"),
            power_factor=D("90"),
            contracts=(contract("高圧標準接続送電サービス", D("100"), area_code="03"),),
        ),
        load_tariffs(),
    )
    # TEPCO PG 高圧標準 (S3): 100 kW × 653.87 = 65,387.00; PF 90 → × 0.95: −3,269.35; 10,000 kWh × 1.84 = 18,400.00
    # 65,387.00 − 3,269.35 + 18,400.00 = 80,517.65 → 80,517
    assert (line.power_factor_adjustment, line.total_yen) == (D("-3269.35"), D("80517"))
    assert (line.tariff_id, line.rate_status) == ("03-koatsu-hyojun-2025-10", "secondary")


def test_energy_sums_the_30_minute_values_and_rounds_each_sum_once(tariffs: TariffTable) -> None:
    # §9 vs §12: rounding each 30-minute value to 1 kWh would bill 0.0105 kWh slots as 0 kWh.
    start, end = date(2024, 9, 16), date(2024, 10, 15)  # T1 until 09-30, T2 from 10-01: 15 days each
    line = calculate_charge(
        inp(target_month=date(2024, 10, 1), period_start=start, period_end=end,
            slot_kwh=every_slot(start, end, D("0.0105"))),
        tariffs,
    )  # fmt: skip
    # each segment: 15 days × 48 × 0.0105 = 7.56 → 8 kWh; 8 × 10.00 + 8 × 11.00 = 168.00
    assert (line.billed_kwh, line.energy_charge) == (D("16"), D("168.00"))
    assert "Σ30分 7.56 kWh → 8 kWh (四捨五入) × 10.00 = 80.00" in line.detail


def test_missing_tariff_or_price_gives_a_not_computed_line_with_the_reason(tariffs: TariffTable) -> None:
    lines = calculate_charges(
        [
            inp(area_code="05"),
            inp(**OCTOBER_2025, service_menu="電灯従量接続送電サービス"),
        ],
        load_tariffs(),
    )
    assert [line.status for line in lines] == ["not_computed", "not_computed"]
    assert "no tariff for area 05" in lines[0].reason
    assert "unit price of 01-dento-juryo-2025-10 energy all is unknown" in lines[1].reason
    assert lines[0].total_yen is None and lines[1].energy_charge is None


def test_missing_contract_kw_is_not_guessed(tariffs: TariffTable) -> None:
    (line,) = calculate_charges([inp(contract_quantity=None)], tariffs)
    assert line.status == "not_computed" and "contract kW" in line.reason


def test_detail_explains_every_yen(tariffs: TariffTable) -> None:
    line = calculate_charge(inp(), tariffs)
    assert "5 kW × 300.00 × 30/30 = 1500.00" in line.detail
    assert "monthly 300 kWh × 10.00 = 3000.00" in line.detail
    assert "4500.00 → 4500" in line.detail


def test_supply_end_cuts_and_prorates_the_period(tariffs: TariffTable) -> None:
    line = calculate_charge(inp(contracts=(contract(supply_end=date(2024, 4, 20)),), monthly_kwh=D("200")), tariffs)
    # supplied 04-01..04-20: 5 kW × 300.00 × 20/30 = 1,000.00; 200 kWh × 10.00 = 2,000.00; total 3,000
    assert (line.period_end, line.basic_charge, line.total_yen) == (date(2024, 4, 20), D("1000.00"), D("3000"))
    assert "supply ends 2024-04-20" in line.detail


def test_point_not_supplied_in_the_period_is_not_computed(tariffs: TariffTable) -> None:
    (line,) = calculate_charges([inp(contracts=(contract(supply_start=date(2024, 5, 1)),))], tariffs)
    assert (line.status, line.total_yen) == ("not_computed", None)
    assert "not supplied in 2024-04-01..2024-04-30" in line.reason


def test_days_without_a_contract_in_force_are_not_guessed(tariffs: TariffTable) -> None:
    (line,) = calculate_charges([inp(contracts=(contract(valid_from=date(2024, 4, 10)),))], tariffs)
    assert line.status == "not_computed" and line.reason == "no contract (menu) in force on 2024-04-01"


def test_menu_change_in_mid_period_uses_each_menus_rates_and_bands(tariffs: TariffTable) -> None:
    standard = contract("標準", valid_to=date(2024, 4, 15))
    time_of_use = contract("時間帯別", valid_from=date(2024, 4, 16))
    line = calculate_charge(
        inp(contracts=(standard, time_of_use), slot_kwh=every_slot(APRIL, date(2024, 4, 30), D("0.5"))), tariffs
    )
    # basic: T1 5 × 300.00 × 15/30 = 750.00 + TOU1 5 × 300.00 × 15/30 = 750.00
    # 04-01..04-15 標準: 15 days × 48 × 0.5 = 360 kWh × 10.00 = 3,600.00
    # 04-16..04-30 時間帯別: 夜間 all day on 04-21, 04-28 (Sundays), 04-29 (holiday), 04-30 (listed) → 11 ordinary days
    #   day: 11 × 28 × 0.5 = 154 kWh × 12.00 = 1,848.00; night: (11 × 20 + 4 × 48) × 0.5 = 206 kWh × 8.00 = 1,648.00
    assert (line.basic_charge, line.energy_charge) == (D("1500.00"), D("7096.00"))
    assert (line.kwh_day, line.kwh_night, line.billed_kwh) == (D("154"), D("206"), D("720"))
    assert (line.total_yen, line.tariff_ids, line.is_prorated) == (D("8596"), "T1,TOU1", True)
