"""Deterministic sample files for the three CSV forms (統一化帳票のサンプル), csv-forms.md §3–§5.

:func:`write_csv_forms` writes, per area, 発電者の仕訳後の電力量のお知らせ (Form 1), 契約電力算定結果内訳
(Form 2) and 制限中止割引時間 (Form 3). Files vary across areas the way real downloads might (all
assumed): CP932 + CRLF or UTF-8 with BOM + LF, Form 1 wide (48 slot columns) or long, two header
variants, a title block above the header, and an empty Form 3. The data is internally consistent:
Form 2's contract kW is the maximum of the look-back months for 実量 points, Form 3's discount days
count the days with at least one hour of curtailment.

The generators (``generate_*``) return canonical rows; the renderers (``render_*``) turn rows into
file bytes for one :class:`FileVariant`, so tests can write any combination and compare values.
"""

from __future__ import annotations

import calendar
import csv
import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sample_data.ids import HIGH_VOLTAGE_POINT_OFFSET, receiving_point_id, supply_point_id

FORM_NAMES_JA: dict[str, str] = {
    "generator_allocated_energy": "発電者の仕訳後の電力量のお知らせ",
    "contract_demand_breakdown": "契約電力算定結果内訳",
    "curtailment_discounts": "制限中止割引時間",
}
TSO_NAMES_JA: dict[str, str] = {
    "01": "北海道電力ネットワーク",
    "02": "東北電力ネットワーク",
    "03": "東京電力パワーグリッド",
    "04": "中部電力パワーグリッド",
    "05": "北陸電力送配電",
    "06": "関西電力送配電",
    "07": "中国電力ネットワーク",
    "08": "四国電力送配電",
    "09": "九州電力送配電",
    "10": "沖縄電力",
}
GENERATORS: tuple[tuple[str, str], ...] = (  # (発電者名, kind)
    ("株式会社ひまわりソーラー発電所", "solar"),
    ("みどり風力合同会社", "wind"),
    ("さくら太陽光発電株式会社", "solar"),
    ("やまびこ小水力発電所", "hydro"),
    ("株式会社あおぞらバイオマス", "biomass"),
)
DETERMINATION_CYCLE: tuple[str, ...] = ("実量", "実量", "協議", "新設", "実量")
SERVICE_MENU = "高圧標準接続送電サービス"
BASIC_UNIT_PRICE_YEN = Decimal("594.00")  # yen per kW-month, illustrative only
DISCOUNT_RATE_PER_DAY = Decimal("0.04")  # 制限中止割引 4 % per counted day (assumed, csv-forms.md §5)
CP932_CRLF = ("cp932", "\r\n")
UTF8_BOM_LF = ("utf-8-sig", "\n")


@dataclass(frozen=True)
class FileVariant:
    """How one file is written: encoding and line ending, layout, header variant (0/1), title block."""

    encoding: str = "cp932"
    newline: str = "\r\n"
    layout: str = "long"  # 'wide' or 'long'
    header_variant: int = 0
    title: bool = False


@dataclass(frozen=True)
class AllocatedEnergyRow:
    """Form 1 row (one slot) in canonical values."""

    receiving_point_id: str
    usage_date: date
    slot: int
    kwh: Decimal
    split_code: str
    supply_point_id: str
    generator_code: str
    generator_name: str
    direction_code: str
    data_class: str  # 'confirmed' / 'preliminary'


@dataclass(frozen=True)
class DemandBreakdownRow:
    """Form 2 row (one look-back month) in canonical values; ``determination_ja`` as written."""

    supply_point_id: str
    billing_month: date
    lookback_month: date
    max_demand_kw: Decimal
    corrected_max_demand_kw: Decimal | None
    contract_kw: Decimal
    determination_ja: str
    previous_contract_kw: Decimal | None
    service_menu: str


@dataclass(frozen=True)
class CurtailmentRow:
    """Form 3 row (one point × period × reason code) in canonical values."""

    supply_point_id: str
    billing_month: date
    period_start: date
    period_end: date
    discount_reason_code: str
    discount_hours: Decimal
    discount_days: int
    discount_rate: Decimal
    discount_amount_yen: Decimal  # negative: a discount
    service_menu: str
    event_start: datetime
    event_end: datetime


# --------------------------------------------------------------------------------------------------
# generators (canonical rows)


def _rng(seed: int, area: str, form_id: str) -> random.Random:
    return random.Random(f"{seed}:{area}:{form_id}")


def _month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _days_in(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def _profile(kind: str, slot: int, day_factor: float, rng: random.Random) -> float:
    """Share of capacity produced in a slot (0..1) for a generator kind."""
    hour = (slot - 0.5) / 2
    if kind == "solar":
        return max(0.0, math.sin(math.pi * (hour - 6) / 12.5)) * day_factor if 6 <= hour <= 18.5 else 0.0
    if kind == "wind":
        return min(1.0, max(0.0, day_factor * 0.6 + rng.uniform(-0.15, 0.15)))
    if kind == "hydro":
        return 0.7 + 0.2 * day_factor
    return 0.85  # biomass: steady


def generate_allocated_energy(
    area: str, billing_month: date, *, seed: int = 0, receiving_points: int = 2
) -> list[AllocatedEnergyRow]:
    """Form 1: 48 slots per day of ``billing_month`` for each receiving point (受電地点)."""
    rng = _rng(seed, area, "generator_allocated_energy")
    rows: list[AllocatedEnergyRow] = []
    for p in range(1, receiving_points + 1):
        name, kind = GENERATORS[(p - 1) % len(GENERATORS)]
        capacity = Decimal(rng.choice((49, 199, 499, 1500, 1990)))
        point = receiving_point_id(area, p)
        split_code = "2" if p % 3 == 0 else "1"
        for day in range(1, _days_in(billing_month) + 1):
            usage_date = billing_month.replace(day=day)
            weather = rng.choice((0.2, 0.5, 0.8, 0.95, 1.0))
            for slot in range(1, 49):
                share = Decimal(str(round(_profile(kind, slot, weather, rng), 3)))
                kwh = (capacity / 2 * share).quantize(Decimal("0.1"))
                rows.append(
                    AllocatedEnergyRow(
                        point,
                        usage_date,
                        slot,
                        kwh,
                        split_code,
                        supply_point_id(area, 500 + p),
                        f"G{int(area):02d}{p:04d}",
                        name,
                        "1",
                        "confirmed",
                    )
                )
    return rows


def generate_demand_breakdown(
    area: str, billing_month: date, *, seed: int = 0, points: int = 5
) -> list[DemandBreakdownRow]:
    """Form 2: this month and the previous 11 per supply point, latest look-back month first.

    実量: contract kW = max over the 12 months of (corrected if given, else max demand). 協議: a
    negotiated value. 新設: only the months since supply started count.
    """
    rng = _rng(seed, area, "contract_demand_breakdown")
    rows: list[DemandBreakdownRow] = []
    for p in range(1, points + 1):
        kind = DETERMINATION_CYCLE[(p - 1) % len(DETERMINATION_CYCLE)]
        base = rng.randint(60, 420) if kind != "協議" else rng.randint(480, 700)
        months_supplied = rng.randint(3, 8) if kind == "新設" else 13
        # index 0 = billing month, 12 = thirteen months back (for the previous month's contract kW)
        demand = [
            Decimal(max(1, round(base * (0.75 + 0.25 * abs(math.cos(i * math.pi / 6))) + rng.randint(-8, 8))))
            for i in range(13)
        ]
        corrected: list[Decimal | None] = [None] * 13
        if kind == "実量" and p % 2 == 0:
            i = rng.randint(1, 11)
            corrected[i] = demand[i] - rng.randint(1, 10)

        def effective(i: int, demand: list[Decimal] = demand, corrected: list[Decimal | None] = corrected) -> Decimal:
            value = corrected[i]
            return value if value is not None else demand[i]

        window = range(min(12, months_supplied))
        previous_window = range(1, min(13, months_supplied))
        if kind == "協議":
            contract = Decimal(rng.choice((500, 550, 600, 650, 700)))
            previous: Decimal | None = contract
        else:
            contract = max(effective(i) for i in window)
            previous = max((effective(i) for i in previous_window), default=None)
        for i in window:
            rows.append(
                DemandBreakdownRow(
                    supply_point_id(area, HIGH_VOLTAGE_POINT_OFFSET + p),
                    billing_month,
                    _month_add(billing_month, -i),
                    demand[i],
                    corrected[i],
                    contract,
                    kind,
                    previous,
                    SERVICE_MENU,
                )
            )
    return rows


def generate_curtailments(
    area: str,
    billing_month: date,
    *,
    seed: int = 0,
    points: int = 5,
    breakdown: Sequence[DemandBreakdownRow] = (),
) -> list[CurtailmentRow]:
    """Form 3: curtailment periods for some supply points (制限中止), hours and days consistent.

    A day counts when its curtailment adds up to at least one hour; the rate is 4 % per counted day
    and the amount is the negative of rate × contract kW × an illustrative unit price.
    """
    rng = _rng(seed, area, "curtailment_discounts")
    contract = {r.supply_point_id: r.contract_kw for r in breakdown}
    period_start = billing_month
    period_end = billing_month.replace(day=_days_in(billing_month))
    rows: list[CurtailmentRow] = []
    for p in range(1, points + 1):
        if rng.random() < 0.5 and p != 1:
            continue
        point = supply_point_id(area, HIGH_VOLTAGE_POINT_OFFSET + p)
        for reason in sorted(rng.sample(("1", "2", "3"), rng.randint(1, 2))):
            days = sorted(rng.sample(range(1, _days_in(billing_month) + 1), rng.randint(1, 3)))
            events: list[tuple[datetime, datetime]] = []
            for day in days:
                start = datetime(billing_month.year, billing_month.month, day, rng.randint(8, 16), rng.choice((0, 30)))
                events.append((start, start + timedelta(minutes=30 * rng.randint(1, 8))))
            hours = sum((Decimal((e - s).seconds) / 3600 for s, e in events), Decimal(0))
            counted = sum(1 for s, e in events if e - s >= timedelta(hours=1))
            rate = DISCOUNT_RATE_PER_DAY * counted
            basic = contract.get(point, Decimal(100)) * BASIC_UNIT_PRICE_YEN
            amount = -(basic * rate).quantize(Decimal("0.01"))
            rows.append(
                CurtailmentRow(
                    point,
                    billing_month,
                    period_start,
                    period_end,
                    reason,
                    hours,
                    counted,
                    rate,
                    amount,
                    SERVICE_MENU,
                    events[0][0],
                    events[-1][1],
                )
            )
    return rows


# --------------------------------------------------------------------------------------------------
# formatting helpers


def era_month(month: date) -> str:
    """``令和6年4月`` (平成 before 2019-05; year 1 written 元)."""
    if month >= date(2019, 5, 1):
        era, year = "令和", month.year - 2018
    else:
        era, year = "平成", month.year - 1988
    return f"{era}{'元' if year == 1 else year}年{month.month}月"


def _month_text(month: date, variant: int) -> str:
    return f"{month:%Y/%m}" if variant == 0 else era_month(month)


def _date_text(day: date, variant: int) -> str:
    return f"{day.year}/{day.month}/{day.day}" if variant == 0 else f"{day:%Y%m%d}"


def _kw(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,}"


def _yen(value: Decimal, variant: int) -> str:
    """Negative yen as ``▲1,234.50`` (variant 0) or ``-1234.50`` (variant 1)."""
    if value < 0 and variant == 0:
        return f"▲{-value:,}"
    return f"{value}"


def display_point_id(point: str) -> str:
    """A point id in a display format with hyphens (``03-0000-0000-0000-0000-0007`` style)."""
    return "-".join((point[:2], point[2:6], point[6:10], point[10:14], point[14:18], point[18:]))


def _encode(title: list[list[str]], header: list[str], body: list[list[str]], variant: FileVariant) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=variant.newline)
    writer.writerows(title)
    writer.writerow(header)
    writer.writerows(body)
    return buffer.getvalue().encode(variant.encoding)


def _title(form_id: str, area: str, month: date, variant: FileVariant) -> list[list[str]]:
    if not variant.title:
        return []
    return [
        [FORM_NAMES_JA[form_id]],
        [TSO_NAMES_JA.get(area, area)],
        ["対象年月", f"{month.year}年{month.month}月分"],
    ]


def _slot_header(slot: int, variant: int) -> str:
    start, end = (slot - 1) * 30, slot * 30
    if variant == 0:
        return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    return f"kwh_{start // 60:02d}{start % 60:02d}_{end // 60:02d}{end % 60:02d}"


# --------------------------------------------------------------------------------------------------
# renderers (rows → file bytes)


def render_allocated_energy(
    rows: Sequence[AllocatedEnergyRow], variant: FileVariant, *, area: str, billing_month: date
) -> bytes:
    """Form 1 as bytes: wide (one row per point × date with 48 slot columns and 日計) or long."""
    v = variant.header_variant
    date_header = "年月日" if v == 0 else "対象日"
    common = [
        "受電地点特定番号",
        "供給地点特定番号",
        "発電者コード",
        "発電者名",
        "区分",
        "仕訳コード",
        "確定区分",
    ]
    title = _title("generator_allocated_energy", area, billing_month, variant)

    def prefix(r: AllocatedEnergyRow) -> list[str]:
        data_class = "1" if r.data_class == "confirmed" else ""
        return [
            r.receiving_point_id,
            r.supply_point_id,
            r.generator_code,
            r.generator_name,
            r.direction_code,
            r.split_code,
            data_class,
        ]

    if variant.layout == "wide":
        header = [*common[:1], date_header, *common[1:], *(_slot_header(s, v) for s in range(1, 49)), "日計"]
        days: dict[tuple[str, date, str], list[AllocatedEnergyRow]] = {}
        for r in rows:
            days.setdefault((r.receiving_point_id, r.usage_date, r.split_code), []).append(r)
        body = []
        for group in days.values():
            by_slot = {r.slot: r.kwh for r in group}
            first = prefix(group[0])
            slots = [_kw(by_slot.get(s)) for s in range(1, 49)]
            total = sum(by_slot.values(), Decimal(0))
            body.append([first[0], _date_text(group[0].usage_date, v), *first[1:], *slots, _kw(total)])
        return _encode(title, header, body, variant)
    slot_header, kwh_header = ("時刻コマ", "仕訳後電力量") if v == 0 else ("コマ", "電力量(kWh)")
    header = [*common[:1], date_header, slot_header, kwh_header, *common[1:]]
    body = []
    for r in rows:
        first = prefix(r)
        body.append([first[0], _date_text(r.usage_date, v), str(r.slot), _kw(r.kwh), *first[1:]])
    return _encode(title, header, body, variant)


def render_demand_breakdown(
    rows: Sequence[DemandBreakdownRow], variant: FileVariant, *, area: str, billing_month: date
) -> bytes:
    """Form 2 as bytes: long (one row per look-back month) or wide (12 numbered month groups)."""
    v = variant.header_variant
    title = _title("contract_demand_breakdown", area, billing_month, variant)
    point_text = (lambda p: p) if v == 0 else display_point_id
    billing_h = "対象年月" if v == 0 else "料金計算対象年月"
    contract_h = "決定契約電力(kW)" if v == 0 else "契約電力"
    previous_h = "前月契約電力(kW)" if v == 0 else "前月契約電力"
    menu_h = "接続送電サービスメニュー" if v == 0 else "料金メニュー"
    if variant.layout == "wide":
        header = ["供給地点特定番号", billing_h, contract_h, "算定区分", previous_h, menu_h]
        for n in range(1, 13):
            header += [f"最大需要電力実績年月{n}", f"最大需要電力{n}", f"訂正最大需要電力{n}"]
        points: dict[str, list[DemandBreakdownRow]] = {}
        for r in rows:
            points.setdefault(r.supply_point_id, []).append(r)
        body = []
        for group in points.values():
            r0 = group[0]
            line = [
                point_text(r0.supply_point_id),
                _month_text(r0.billing_month, v),
                _kw(r0.contract_kw),
                r0.determination_ja,
                _kw(r0.previous_contract_kw),
                r0.service_menu,
            ]
            for n in range(12):
                if n < len(group):
                    g = group[n]
                    line += [
                        _month_text(g.lookback_month, v),
                        _kw(g.max_demand_kw),
                        _kw(g.corrected_max_demand_kw),
                    ]
                else:
                    line += ["", "", ""]
            body.append(line)
        return _encode(title, header, body, variant)
    max_h = "最大需要電力(kW)" if v == 0 else "最大需要電力"
    corrected_h = "訂正最大需要電力(kW)" if v == 0 else "訂正値"
    header = [
        "供給地点特定番号",
        billing_h,
        "最大需要電力実績年月",
        max_h,
        corrected_h,
        contract_h,
        "算定区分",
        previous_h,
        menu_h,
    ]
    body = [
        [
            point_text(r.supply_point_id),
            _month_text(r.billing_month, v),
            _month_text(r.lookback_month, v),
            _kw(r.max_demand_kw),
            _kw(r.corrected_max_demand_kw),
            _kw(r.contract_kw),
            r.determination_ja,
            _kw(r.previous_contract_kw),
            r.service_menu,
        ]
        for r in rows
    ]
    return _encode(title, header, body, variant)


def render_curtailments(
    rows: Sequence[CurtailmentRow], variant: FileVariant, *, area: str, billing_month: date
) -> bytes:
    """Form 3 as bytes. Variant 0 carries 割引率 and event times; variant 1 has neither (the reader
    derives the rate from the days)."""
    v = variant.header_variant
    title = _title("curtailment_discounts", area, billing_month, variant)
    if v == 0:
        header = [
            "供給地点特定番号",
            "託送対象年月",
            "算定期間開始日",
            "算定期間終了日",
            "割引対象コード",
            "割引対象時間数",
            "割引対象日数",
            "割引率",
            "制限中止割引額",
            "制限開始日時",
            "制限終了日時",
        ]
        body = [
            [
                r.supply_point_id,
                _month_text(r.billing_month, v),
                _date_text(r.period_start, v),
                _date_text(r.period_end, v),
                r.discount_reason_code,
                f"{r.discount_hours}",
                str(r.discount_days),
                f"{r.discount_rate}",
                _yen(r.discount_amount_yen, v),
                f"{r.event_start:%Y/%m/%d %H:%M}",
                f"{r.event_end:%Y/%m/%d %H:%M}",
            ]
            for r in rows
        ]
    else:
        header = [
            "供給地点特定番号",
            "対象年月",
            "算定期間開始日",
            "算定期間終了日",
            "割引対象コード",
            "制限中止時間",
            "割引対象日数",
            "割引額(円)",
            "料金メニューコード",
        ]
        body = [
            [
                r.supply_point_id,
                _month_text(r.billing_month, v),
                _date_text(r.period_start, v),
                _date_text(r.period_end, v),
                r.discount_reason_code,
                f"{r.discount_hours}",
                str(r.discount_days),
                _yen(r.discount_amount_yen, v),
                r.service_menu,
            ]
            for r in rows
        ]
    return _encode(title, header, body, variant)


# --------------------------------------------------------------------------------------------------
# files


def file_name(form_id: str, area: str, billing_month: date) -> str:
    """``{form_id}_{area}_{YYYYMM}.csv``, e.g. ``contract_demand_breakdown_03_202404.csv`` (the pattern
    is registered for detection in ``parsers/csv_forms/aliases.toml``)."""
    return f"{form_id}_{area}_{billing_month:%Y%m}.csv"


def area_variant(index: int) -> FileVariant:
    """The variant of the ``index``-th area: encodings alternate (CP932+CRLF, UTF-8 BOM+LF), Form 1
    layout alternates every two areas (wide, wide, long, long), header variant 1 every third area
    starting at the second, a title block every third area starting at the first."""
    encoding, newline = CP932_CRLF if index % 2 == 0 else UTF8_BOM_LF
    return FileVariant(
        encoding=encoding,
        newline=newline,
        layout="wide" if (index // 2) % 2 == 0 else "long",
        header_variant=1 if index % 3 == 1 else 0,
        title=index % 3 == 0,
    )


def write_csv_forms(
    out_dir: Path,
    *,
    areas: list[str],
    billing_month: date,
    seed: int = 0,
    points_per_area: int = 5,
    receiving_points_per_area: int = 2,
) -> list[Path]:
    """Write the three forms for each area into ``out_dir``; return the paths written.

    Form 3 is header-only (no curtailment) in every third area starting at the third, as for months
    after the discount was abolished.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    billing_month = billing_month.replace(day=1)
    paths: list[Path] = []
    for index, area in enumerate(areas):
        variant = area_variant(index)
        energy = generate_allocated_energy(area, billing_month, seed=seed, receiving_points=receiving_points_per_area)
        breakdown = generate_demand_breakdown(area, billing_month, seed=seed, points=points_per_area)
        curtailments = (
            []
            if index % 3 == 2
            else generate_curtailments(area, billing_month, seed=seed, points=points_per_area, breakdown=breakdown)
        )
        outputs = {
            "generator_allocated_energy": render_allocated_energy(
                energy, variant, area=area, billing_month=billing_month
            ),
            "contract_demand_breakdown": render_demand_breakdown(
                breakdown, replace(variant, layout="long"), area=area, billing_month=billing_month
            ),
            "curtailment_discounts": render_curtailments(
                curtailments, replace(variant, layout="long"), area=area, billing_month=billing_month
            ),
        }
        for form_id, data in outputs.items():
            path = out_dir / file_name(form_id, area, billing_month)
            path.write_bytes(data)
            paths.append(path)
    return paths
