"""Sample billing files (請求照合のサンプル): a contract register per area and the TSO's invoice detail per area.

* ``supply_point_contracts_<area>_<YYYYMM>.csv`` (or ``.parquet`` for one area): a contract for every
  sample supply point, written with Japanese headers (CP932 in even areas, UTF-8 in odd ones).
  High-voltage points name their menu and leave the contract kW to Form 2 (実量制); low-voltage points
  show the bases of the tariffs (kW, kVA, A, 定額 lamps and appliances, time-of-use), and one point
  changes its contract in mid-month.
* ``tso_invoice_lines_<area>_<YYYYMM>.csv``: the TSO's per-point detail. Every line is what the charge
  calculation gives for the sample data, except the deliberate differences in :data:`PLANTED`, each with
  another cause, so the demo's ``charge_differences`` finds exactly those.
* ``tariffs/example_rates.csv``: *example* unit prices for the areas and voltages that have no public
  rate (every line has status ``example``); the demo configuration alone loads it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from reconcile.charges import ChargeInput, ChargeLine, calculate_charge
from reconcile.contract import SOURCE_FORM2, SOURCE_REGISTER, SupplyPointContract, format_items
from reconcile.tariff import TariffTable
from sample_data.bp import Point, Scenario, build_scenario
from sample_data.csv_forms import generate_demand_breakdown
from sample_data.ids import supply_point_id

HIGH_MENU = "高圧標準接続送電サービス"
STANDARD = "電灯標準接続送電サービス"
TIME_OF_USE = "電灯時間帯別接続送電サービス"
FLAT = "電灯定額接続送電サービス"
PARQUET_AREA = "05"  # this area's register is written as Parquet
CHANGE_AREA = "02"  # the first low-voltage point of this area changes its contract on the 16th
UNKNOWN_POINT = 9  # invoiced in area 10 although takuso has no usage for it
EXAMPLE_RATES = Path(__file__).with_name("tariffs") / "example_rates.csv"

REGISTER_HEADER = (
    "供給地点特定番号", "適用開始日", "適用終了日", "接続送電サービスメニュー", "契約種別", "契約電力", "定額品目",
    "供給開始日", "電圧区分",
)  # fmt: skip
INVOICE_HEADER = (
    "供給地点特定番号", "請求年月", "算定期間開始日", "算定期間終了日", "接続送電サービスメニュー", "契約電力",
    "使用電力量", "昼間電力量", "夜間電力量", "力率", "電力量料金単価", "基本料金", "力率割引・割増額", "電力量料金",
    "その他", "請求金額",
)  # fmt: skip


@dataclass(frozen=True)
class Plant:
    """A deliberate difference on one invoice line: what the TSO billed differently, and the expected cause."""

    area: str
    point: str
    status: str  # what charge_differences must say: differs, match, not_invoiced, not_recomputed
    cause_component: str | None  # the first differing component it must name
    change: Callable[[ChargeInput], ChargeInput] | None = None  # the TSO's input instead of ours
    total_delta: int = 0  # yen added to the invoiced total only (sen rounding)
    energy_price: Decimal | None = None  # the unit price the TSO billed instead of the tariff's


def _bump_contract(inp: ChargeInput, kw: int) -> ChargeInput:
    contracts = tuple(replace(c, contract_quantity=(c.contract_quantity or Decimal(0)) + kw) for c in inp.contracts)
    return replace(inp, contracts=contracts)


def _bump_night(inp: ChargeInput, kwh: Decimal) -> ChargeInput:
    slots = {d: dict(v) for d, v in inp.slot_kwh.items()}
    first = min(slots)
    slots[first][1] = slots[first][1] + kwh  # slot 1 (00:00-00:30) is night in every calendar
    return replace(inp, slot_kwh=slots, monthly_kwh=(inp.monthly_kwh or 0) + kwh)


def _bump_power_factor(inp: ChargeInput, percent: int) -> ChargeInput:
    return replace(inp, power_factor=(inp.power_factor or Decimal(85)) + percent)


def _bump_kwh(inp: ChargeInput, kwh: Decimal) -> ChargeInput:
    return replace(inp, monthly_kwh=(inp.monthly_kwh or 0) + kwh)


PLANTED: tuple[Plant, ...] = (
    Plant("01", supply_point_id("01", 1), "differs", "energy_unit_price", energy_price=Decimal("8.30")),
    Plant("01", supply_point_id("01", 4), "differs", "kwh_night", change=lambda i: _bump_night(i, Decimal(12))),
    Plant("03", supply_point_id("03", 101), "differs", "contract_quantity", change=lambda i: _bump_contract(i, 5)),
    Plant("06", supply_point_id("06", 1), "differs", "kwh", change=lambda i: _bump_kwh(i, Decimal(40))),
    Plant("08", supply_point_id("08", 102), "differs", "power_factor", change=lambda i: _bump_power_factor(i, 2)),
    Plant("09", supply_point_id("09", 2), "match", None, total_delta=1),
    Plant("10", supply_point_id("10", 3), "not_invoiced", None),
    Plant("10", supply_point_id("10", UNKNOWN_POINT), "not_recomputed", None),
)


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def sample_contracts(sc: Scenario, month: date, seed: int, high_points: int) -> dict[str, list[SupplyPointContract]]:
    """The register's contracts of every point of one area (the menus and bases described in the module)."""
    area = sc.area
    form2 = {r.supply_point_id for r in generate_demand_breakdown(area, month, seed=seed, points=high_points)}
    out: dict[str, list[SupplyPointContract]] = {}
    low = [p for p in sc.points if p.voltage == "low"]
    for p in sc.points:
        base = SupplyPointContract(p.id, area, STANDARD, "kW", Decimal(6), valid_from=month, source=SOURCE_REGISTER)
        if p.voltage == "high":
            quantity = None if p.id in form2 else Decimal(int(p.scale) * 2)
            out[p.id] = [replace(base, service_menu=HIGH_MENU, contract_quantity=quantity)]
            continue
        index = low.index(p) + 1
        if index == 2:
            out[p.id] = [replace(base, contract_basis="kVA", contract_quantity=Decimal(8))]
        elif index == 3 and area == "01":
            out[p.id] = [
                replace(base, service_menu=FLAT, contract_basis="lamp", contract_quantity=None,
                        items={"20W以下": 2, "50VA以下": 1})
            ]  # fmt: skip
        elif index == 3:
            out[p.id] = [replace(base, contract_basis="A", contract_quantity=Decimal(15))]
        elif index == 4 and area == "01":
            out[p.id] = [replace(base, service_menu=TIME_OF_USE, contract_quantity=Decimal(5))]
        elif index == 1 and area == CHANGE_AREA:
            change = month + timedelta(days=15)
            out[p.id] = [
                replace(base, contract_quantity=Decimal(5), valid_to=change - timedelta(days=1)),
                replace(base, contract_quantity=Decimal(8), valid_from=change),
            ]
        else:
            out[p.id] = [base]
    return out


def _register_rows(contracts: dict[str, list[SupplyPointContract]], points: dict[str, Point]) -> list[list[str]]:
    rows = []
    for point, values in contracts.items():
        for c in values:
            rows.append(
                [
                    point, str(c.valid_from), str(c.valid_to or ""), c.service_menu, c.contract_basis or "",
                    "" if c.contract_quantity is None else str(c.contract_quantity), format_items(c.items),
                    "2020-04-01", "高圧" if points[point].voltage == "high" else "低圧",
                ]
            )  # fmt: skip
    return rows


def _csv_bytes(header: tuple[str, ...], rows: list[list[str]], area: str) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("cp932" if int(area) % 2 == 0 else "utf-8")


def write_register(out_dir: Path, sc: Scenario, month: date, contracts: dict[str, list[SupplyPointContract]]) -> Path:
    """The area's contract register, CSV with Japanese headers, or Parquet (canonical names) in one area."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = _register_rows(contracts, {p.id: p for p in sc.points})
    stem = f"supply_point_contracts_{sc.area}_{month:%Y%m}"
    if sc.area == PARQUET_AREA:
        names = ("supply_point_id", "valid_from", "valid_to", "service_menu", "contract_basis", "contract_quantity",
                 "items", "supply_start", "voltage")  # fmt: skip
        columns = {name: [r[i] or None for r in rows] for i, name in enumerate(names)}
        path = out_dir / f"{stem}.parquet"
        pq.write_table(pa.table(columns), path)
        return path
    path = out_dir / f"{stem}.csv"
    path.write_bytes(_csv_bytes(REGISTER_HEADER, rows, sc.area))
    return path


def charge_input(
    sc: Scenario, p: Point, month: date, contracts: list[SupplyPointContract], form2: dict[str, Decimal]
) -> ChargeInput:
    """What the calculation gets for one sample point: the values the sample BP files carry."""
    values = {d: sc.confirmed[(p.id, d)] for d in sc.days()}
    if p.split:  # 部分 (split code 2): the billable values are the 60 % share (sample_data.bp._split_values)
        values = {d: [(v * Decimal("0.6")).quantize(Decimal("0.1")) for v in vs] for d, vs in values.items()}
    if p.id in form2:
        contracts = [
            replace(c, contract_quantity=form2[p.id], source=f"{SOURCE_REGISTER}+{SOURCE_FORM2}")
            if c.contract_quantity is None
            else c
            for c in contracts
        ]
    return ChargeInput(
        supply_point_id=p.id,
        area_code=sc.area,
        target_month=month,
        period_start=sc.period_start,
        period_end=sc.period_end,
        contracts=tuple(contracts),
        voltage=p.voltage,
        power_factor=Decimal(100 - int(p.id[-1]) % 5) if p.voltage == "high" else None,
        max_demand_kw=max(max(sc.confirmed[(p.id, d)]) for d in sc.days()) * 2 if p.voltage == "high" else None,
        determination_kind="actual" if p.id in form2 else None,
        monthly_kwh=sum((sum(v, Decimal(0)) for v in values.values()), Decimal(0)),
        slot_kwh={d: dict(enumerate(v, start=1)) for d, v in values.items()},
    )


def _invoice_row(line: ChargeLine, plant: Plant | None) -> list[str]:
    def text(value: Decimal | int | None) -> str:
        return "" if value is None else format(value, "f")

    energy = line.energy_charge
    total = line.total_yen
    price = None
    if plant is not None and plant.energy_price is not None and line.billed_kwh is not None:
        price = plant.energy_price
        energy = (line.billed_kwh * price).quantize(Decimal("0.01"))
        assert line.basic_charge is not None and line.power_factor_adjustment is not None  # a computed line
        total = (line.basic_charge + line.power_factor_adjustment + energy).to_integral_value(rounding="ROUND_DOWN")
    if plant is not None and total is not None:
        total = total + plant.total_delta
    other = (line.power_factor_adjustment or 0) + (line.contract_excess_charge or 0) - (line.curtailment_discount or 0)
    return [
        line.supply_point_id, f"{line.target_month:%Y/%m}", str(line.period_start), str(line.period_end),
        line.service_menu, text(line.contract_quantity), text(line.billed_kwh), text(line.kwh_day),
        text(line.kwh_night), text(line.power_factor), text(price), text(line.basic_charge),
        text(line.power_factor_adjustment), text(energy), text(other), text(total),
    ]  # fmt: skip


def write_invoice(
    out_dir: Path,
    sc: Scenario,
    month: date,
    contracts: dict[str, list[SupplyPointContract]],
    tariffs: TariffTable,
    seed: int,
    high_points: int,
) -> Path:
    """The TSO's invoice detail for one area: the calculation's lines, with the area's planted differences."""
    breakdown = generate_demand_breakdown(sc.area, month, seed=seed, points=high_points)
    form2 = {r.supply_point_id: r.contract_kw for r in breakdown}
    plants = {p.point: p for p in PLANTED if p.area == sc.area}
    rows = []
    for p in sc.points:
        plant = plants.get(p.id)
        if plant is not None and plant.status == "not_invoiced":
            continue
        inp = charge_input(sc, p, month, contracts[p.id], form2)
        if plant is not None and plant.change is not None:
            inp = plant.change(inp)
        line = calculate_charge(inp, tariffs)
        rows.append(_invoice_row(line, plant))
    for plant in plants.values():
        if plant.status == "not_recomputed":
            rows.append(
                [plant.point, f"{month:%Y/%m}", str(month), str(_month_end(month)), STANDARD, "6", "180", "", "", "",
                 "", "", "", "", "", "3000"]
            )  # fmt: skip
    path = out_dir / f"tso_invoice_lines_{sc.area}_{month:%Y%m}.csv"
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_csv_bytes(INVOICE_HEADER, rows, sc.area))
    return path


def write_billing_files(
    out_dir: Path, areas: list[str], month: date, seed: int, low_points: int, high_points: int, tariffs: TariffTable
) -> list[Path]:
    """Register and invoice per area under ``out_dir/<area>/``; returns the paths written."""
    paths = []
    for area in areas:
        sc = build_scenario(area, month, seed, low_points, high_points, unprovided_point=False)
        contracts = sample_contracts(sc, month, seed, high_points)
        folder = out_dir / area
        paths.append(write_register(folder, sc, month, contracts))
        paths.append(write_invoice(folder, sc, month, contracts, tariffs, seed, high_points))
    return paths
