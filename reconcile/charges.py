"""The wheeling-charge calculation (託送料金の計算) for one supply point and billing period.

Pure functions on ``decimal.Decimal`` (never float), following wheeling-charges.md:

* 基本料金 (basic charge, §2): unit price × contract kW / kVA, or per contract, or per lamp/appliance (定額).
* 力率割引・割増 (power-factor adjustment, §3): pf_multiplier = (185 − PF) / 100;
  ``power_factor_adjustment`` = basic × (pf_multiplier − 1), only where the tariff row says so.
* 電力量料金 (energy charge, §4): Σ kWh × unit price effective on each day, per time-of-use band.
* 契約超過金 (contract-excess charge, §6) for negotiated (協議) points; multiplier assumed.
* 制限中止割引 (curtailment discount, §7): (basic + PF adjustment) × discount_rate.
* 端数処理 (rounding, §9): kW/kWh/% half up to 1; lines keep sen; the total is truncated to whole yen.
* 日割 (pro-rating, §10): when the period differs from the reference month by more than 5 days.
* A unit-price change inside a period splits it by day (§4, §11.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from reconcile import rules
from reconcile.rounding import round_quantity, to_sen, truncate_yen
from reconcile.tariff import TariffRow, TariffTable

ZERO = Decimal("0")


class ChargeError(ValueError):
    """The charge cannot be computed (no tariff for a day, unknown unit price, missing contract kW, …)."""


@dataclass(frozen=True)
class ChargeInput:
    """What the calculation needs for one supply point (供給地点) and one billing period (料金の算定期間)."""

    supply_point_id: str
    area_code: str
    target_month: date  # billing month (対象年月), first day
    period_start: date
    period_end: date  # inclusive
    service_menu: str  # 接続送電サービス
    voltage: str = "low"
    contract_basis: str | None = None  # None → rules.DEFAULT_CONTRACT_BASIS (実量契約, per kW)
    contract_quantity: Decimal | None = None  # contract kW (契約電力) or kVA, before rounding
    contract_kw_source: str = ""  # where contract_quantity came from, for the explanation
    flat_items: Mapping[str, int] = field(default_factory=dict)  # 定額: contract_basis → lamps / appliances
    power_factor: Decimal | None = None  # 力率, % (monthly average 08:00-22:00)
    max_demand_kw: Decimal | None = None  # 最大需要電力 of the month
    determination_kind: str | None = None  # Form 2 算定区分: actual / negotiated / …
    monthly_kwh: Decimal | None = None  # billable monthly kWh (月間確定使用量)
    slot_kwh: Mapping[date, Mapping[int, Decimal]] = field(default_factory=dict)  # day → slot → billable kWh
    curtailment_rate: Decimal | None = None  # Form 3 discount_rate (fraction)
    curtailment_days: int | None = None  # Form 3 discount_days
    force_prorate: bool = False  # supply start/end or contract change inside the period (§10.1)

    @property
    def period_days(self) -> int:
        """Days of the billing period, both ends included."""
        return (self.period_end - self.period_start).days + 1


@dataclass(frozen=True)
class Segment:
    """Consecutive days of a period with one rate set (a unit-price change splits a period, §4)."""

    tariff_id: str
    start: date
    end: date
    rows: tuple[TariffRow, ...]

    @property
    def days(self) -> int:
        """Days in the segment, both ends included."""
        return (self.end - self.start).days + 1

    def label(self) -> str:
        """``2025-09-21..2025-09-30 hepco-lv-hyojun-2019-10``."""
        return f"{self.start}..{self.end} {self.tariff_id}"


@dataclass(frozen=True)
class ChargeLine:
    """One computed row of ``wheeling_charges`` with the figures that explain it."""

    supply_point_id: str
    area_code: str
    voltage: str
    target_month: date
    period_start: date
    period_end: date
    period_days: int
    reference_days: int
    is_prorated: bool
    service_menu: str
    status: str  # 'computed' or 'not_computed'
    tariff_id: str | None = None  # the rate set valid on period_end
    tariff_ids: str = ""  # every rate set used, comma-separated, when a price change split the period
    contract_basis: str | None = None
    contract_unit: str | None = None
    contract_quantity: Decimal | None = None  # rounded kW / kVA / 1 per contract
    contract_kw_source: str = ""
    power_factor: Decimal | None = None  # rounded %
    pf_multiplier: Decimal = Decimal("1")
    billed_kwh: Decimal | None = None
    kwh_day: Decimal | None = None
    kwh_night: Decimal | None = None
    kwh_source: str = ""
    discount_rate: Decimal | None = None
    basic_charge: Decimal | None = None
    power_factor_adjustment: Decimal | None = None
    energy_charge: Decimal | None = None
    contract_excess_charge: Decimal | None = None
    curtailment_discount: Decimal | None = None
    total_yen: Decimal | None = None
    detail: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The line as a plain dict (column → value)."""
        return {name: getattr(self, name) for name in CHARGE_COLUMNS}


CHARGE_COLUMNS = tuple(ChargeLine.__dataclass_fields__)


def pf_multiplier(power_factor: Decimal) -> Decimal:
    """(185 − PF) / 100 with PF rounded half up to 1 % (§3, §9): 90 → 0.95, 80 → 1.05, 84.5 → 1.00."""
    return (rules.PF_BASE - round_quantity(power_factor)) / Decimal(100)


def split_by_tariff(inp: ChargeInput, tariffs: TariffTable) -> list[Segment]:
    """Walk the period day by day and group consecutive days with the same rate set (§4)."""
    if inp.period_end < inp.period_start:
        raise ChargeError(f"period_end {inp.period_end} is before period_start {inp.period_start}")
    segments: list[Segment] = []
    day = inp.period_start
    while day <= inp.period_end:
        rows = tariffs.rate_set(inp.area_code, inp.service_menu, day)
        if not rows:
            raise ChargeError(
                f"no tariff for area {inp.area_code} menu {inp.service_menu!r} on {day}; add its rates to the "
                "tariff file"
            )
        tariff_id = rows[0].tariff_id
        if segments and segments[-1].tariff_id == tariff_id:
            last = segments[-1]
            segments[-1] = Segment(tariff_id, last.start, day, last.rows)
        else:
            segments.append(Segment(tariff_id, day, day, rows))
        day += timedelta(days=1)
    return segments


def _price(row: TariffRow) -> Decimal:
    if row.unit_price_yen is None:
        raise ChargeError(
            f"the unit price of {row.tariff_id} {row.charge} {row.contract_basis or row.tou_band} is unknown "
            f"({row.origin}); add it to the tariff file"
        )
    return row.unit_price_yen


def _basic_row(seg: Segment, basis: str | None) -> TariffRow | None:
    basics = [r for r in seg.rows if r.charge == "basic"]
    if not basics:
        return None
    if basis is not None:
        for r in basics:
            if r.contract_basis == basis:
                return r
        known = ", ".join(r.contract_basis for r in basics)
        raise ChargeError(f"{seg.tariff_id} has no basic charge for contract basis {basis!r} (it has: {known})")
    for r in basics:
        if r.contract_basis == rules.DEFAULT_CONTRACT_BASIS:
            return r
    per_kw = [r for r in basics if r.unit == "kW"]
    if per_kw:
        return per_kw[0]
    raise ChargeError(f"{seg.tariff_id}: the contract basis is not known and the menu has no per-kW basic charge")


def _quantity(row: TariffRow, inp: ChargeInput) -> Decimal:
    if row.unit == "contract":
        return Decimal(1)
    if inp.contract_quantity is None:
        raise ChargeError(f"contract {row.unit} (契約電力) is not known for {inp.supply_point_id}")
    return round_quantity(inp.contract_quantity)


@dataclass
class _Basic:
    basic: Decimal = ZERO
    pf_adjustment: Decimal = ZERO
    multiplier: Decimal = Decimal("1")
    row: TariffRow | None = None
    quantity: Decimal | None = None
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _basic_charge(inp: ChargeInput, segments: list[Segment], denominator: int) -> _Basic:
    """基本料金 (including 定額 lamps / appliances) and 力率割引・割増 over the segments (§2, §3, §10)."""
    out = _Basic()
    pf_missing_noted = False
    for seg in segments:
        row = _basic_row(seg, inp.contract_basis)
        if row is not None:
            quantity = _quantity(row, inp)
            price = _price(row)
            amount = to_sen(quantity * price * seg.days / denominator)
            out.row, out.quantity = row, quantity
            out.basic += amount
            out.lines.append(
                f"基本料金 basic {seg.label()}: {quantity} {row.unit} × {price} × {seg.days}/{denominator} = {amount}"
            )
            if row.pf_adjustment:
                if inp.power_factor is None:
                    multiplier = rules.PF_MISSING_MULTIPLIER
                    if not pf_missing_noted:
                        out.notes.append("power factor missing: no PF adjustment (assumed, §3)")
                        pf_missing_noted = True
                else:
                    multiplier = pf_multiplier(inp.power_factor)
                adjustment = to_sen(amount * (multiplier - 1))
                out.multiplier = multiplier
                out.pf_adjustment += adjustment
                out.lines.append(f"力率 PF adjustment {seg.label()}: {amount} × ({multiplier} − 1) = {adjustment}")
        for basis, count in sorted(inp.flat_items.items()):
            flat = [r for r in seg.rows if r.charge in ("lamp", "appliance") and r.contract_basis == basis]
            if not flat:
                raise ChargeError(f"{seg.tariff_id} has no flat-rate (定額) row for {basis!r}")
            price = _price(flat[0])
            amount = to_sen(Decimal(count) * price * seg.days / denominator)
            out.basic += amount
            out.lines.append(
                f"定額 flat {seg.label()}: {count} × {basis} × {price} × {seg.days}/{denominator} = {amount}"
            )
    if out.row is None and not inp.flat_items:
        out.notes.append("the menu has no basic charge")
    return out


@dataclass
class _Energy:
    charge: Decimal = ZERO
    kwh: Decimal = ZERO
    by_band: dict[str, Decimal] = field(default_factory=dict)
    source: str = ""
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _sum_slots(inp: ChargeInput, start: date, end: date, slots: frozenset[int]) -> Decimal:
    total = ZERO
    day = start
    while day <= end:
        for slot, kwh in inp.slot_kwh.get(day, {}).items():
            if slot in slots and kwh is not None:
                total += kwh
        day += timedelta(days=1)
    return total


def _missing_slots(inp: ChargeInput) -> int:
    present = 0
    day = inp.period_start
    while day <= inp.period_end:
        present += sum(1 for v in inp.slot_kwh.get(day, {}).values() if v is not None)
        day += timedelta(days=1)
    return inp.period_days * rules.SLOTS_PER_DAY - present


def _energy_charge(inp: ChargeInput, segments: list[Segment]) -> _Energy:
    """電力量料金: kWh per segment and band, rounded half up to 1 kWh, × the day's unit price (§4, §9)."""
    out = _Energy()
    energy_rows = [[r for r in seg.rows if r.charge == "energy"] for seg in segments]
    if not any(energy_rows):
        out.source = "none"
        out.notes.append("the menu has no energy charge")
        return out
    single_all = len(segments) == 1 and all(r.tou_band == "all" for r in energy_rows[0])
    if single_all and inp.monthly_kwh is not None:
        # §4: billable kWh comes from monthly confirmed usage when one price applies to the whole period.
        out.source = "monthly_usage"
        quantities = {("all", 0): round_quantity(inp.monthly_kwh)}
    else:
        if not inp.slot_kwh:
            raise ChargeError(
                "30-minute confirmed values are needed (time-of-use menu or a price change inside the period) "
                "and there are none"
            )
        out.source = "interval_usage"
        quantities = {}
        for i, (seg, rows) in enumerate(zip(segments, energy_rows, strict=True)):
            for row in rows:
                quantities[(row.tou_band, i)] = round_quantity(_sum_slots(inp, seg.start, seg.end, row.tou_slots))
        missing = _missing_slots(inp)
        if missing:
            out.notes.append(f"{missing} 30-minute values missing in the period (欠測): energy may be understated")
    for i, (seg, rows) in enumerate(zip(segments, energy_rows, strict=True)):
        for row in rows:
            key = ("all", 0) if out.source == "monthly_usage" else (row.tou_band, i)
            kwh = quantities[key]
            price = _price(row)
            amount = to_sen(kwh * price)
            out.charge += amount
            out.kwh += kwh
            out.by_band[row.tou_band] = out.by_band.get(row.tou_band, ZERO) + kwh
            out.lines.append(f"電力量料金 energy {seg.label()} {row.tou_band}: {kwh} kWh × {price} = {amount}")
    return out


def _contract_excess(inp: ChargeInput, segments: list[Segment], basic: _Basic) -> tuple[Decimal, list[str]]:
    """契約超過金 (§6, assumed form): excess kW × basic unit price × 1.5 × PF multiplier, by segment days."""
    if (
        inp.determination_kind != rules.CONTRACT_EXCESS_KIND
        or inp.max_demand_kw is None
        or basic.row is None
        or basic.row.unit != "kW"
        or basic.quantity is None
    ):
        return ZERO, []
    excess_kw = round_quantity(inp.max_demand_kw) - basic.quantity
    if excess_kw <= 0:
        return ZERO, []
    total = ZERO
    lines = []
    for seg in segments:
        row = _basic_row(seg, basic.row.contract_basis)
        assert row is not None
        price = _price(row)
        amount = to_sen(
            excess_kw * price * rules.CONTRACT_EXCESS_MULTIPLIER * basic.multiplier * seg.days / inp.period_days
        )
        total += amount
        lines.append(
            f"契約超過金 excess {seg.label()}: {excess_kw} kW × {price} × {rules.CONTRACT_EXCESS_MULTIPLIER} × "
            f"{basic.multiplier} × {seg.days}/{inp.period_days} = {amount}"
        )
    return total, lines


def _discount_rate(inp: ChargeInput) -> Decimal | None:
    if inp.curtailment_rate is not None:
        rate = inp.curtailment_rate
    elif inp.curtailment_days:
        rate = rules.CURTAILMENT_RATE_PER_DAY * inp.curtailment_days
    else:
        return None
    return min(rate, Decimal(1))  # assumed: the discount never exceeds the basic charge


def calculate_charge(
    inp: ChargeInput, tariffs: TariffTable, curtailment_until: dict[str, date] | None = None
) -> ChargeLine:
    """Compute one ``wheeling_charges`` line; raise ``ChargeError`` when it cannot be computed."""
    segments = split_by_tariff(inp, tariffs)
    reference_days = rules.reference_month_days(inp.target_month)
    prorated = inp.force_prorate or rules.needs_prorating(inp.period_days, reference_days)
    # §10: a full month is one month's basic charge; a pro-rated one is days / reference-month days.
    denominator = reference_days if prorated else inp.period_days
    basic = _basic_charge(inp, segments, denominator)
    energy = _energy_charge(inp, segments)
    excess, excess_lines = _contract_excess(inp, segments, basic)
    notes = basic.notes + energy.notes
    rate = _discount_rate(inp)
    discount = ZERO
    discount_line: list[str] = []
    if rate is not None:
        if rules.curtailment_applies(inp.area_code, inp.target_month, curtailment_until):
            discount = to_sen((basic.basic + basic.pf_adjustment) * rate)
            discount_line = [f"制限中止割引 curtailment: ({basic.basic} + {basic.pf_adjustment}) × {rate} = {discount}"]
        else:
            notes.append(f"Form 3 discount not applied: abolished in area {inp.area_code} for this month (§7)")
            rate = None
    gross = basic.basic + basic.pf_adjustment + energy.charge + excess - discount
    total = truncate_yen(gross)
    lines = [*basic.lines, *energy.lines, *excess_lines, *discount_line, f"合計 total: {gross} → {total} (切り捨て)"]
    return ChargeLine(
        **_period_of(inp, reference_days),
        is_prorated=prorated,
        service_menu=inp.service_menu,
        status="computed",
        tariff_id=segments[-1].tariff_id,
        tariff_ids=",".join(s.tariff_id for s in segments),
        contract_basis=basic.row.contract_basis if basic.row else None,
        contract_unit=basic.row.unit if basic.row else None,
        contract_quantity=basic.quantity,
        contract_kw_source=inp.contract_kw_source,
        power_factor=round_quantity(inp.power_factor) if inp.power_factor is not None else None,
        pf_multiplier=basic.multiplier,
        billed_kwh=energy.kwh,
        kwh_day=energy.by_band.get("day"),
        kwh_night=energy.by_band.get("night"),
        kwh_source=energy.source,
        discount_rate=rate,
        basic_charge=basic.basic,
        power_factor_adjustment=basic.pf_adjustment,
        energy_charge=energy.charge,
        contract_excess_charge=excess,
        curtailment_discount=discount,
        total_yen=total,
        detail="; ".join(lines),
        note="; ".join(notes),
    )


def _period_of(inp: ChargeInput, reference_days: int) -> dict:
    """The point and billing period every charge line starts with, computed or not."""
    return {
        "supply_point_id": inp.supply_point_id,
        "area_code": inp.area_code,
        "voltage": inp.voltage,
        "target_month": inp.target_month,
        "period_start": inp.period_start,
        "period_end": inp.period_end,
        "period_days": inp.period_days,
        "reference_days": reference_days,
    }


def not_computed(inp: ChargeInput, reason: str) -> ChargeLine:
    """A line that says why no charge was computed (amounts NULL, ``status`` = 'not_computed')."""
    reference_days = rules.reference_month_days(inp.target_month)
    return ChargeLine(
        **_period_of(inp, reference_days),
        is_prorated=inp.force_prorate or rules.needs_prorating(inp.period_days, reference_days),
        service_menu=inp.service_menu,
        status="not_computed",
        contract_kw_source=inp.contract_kw_source,
        note=reason,
    )


def calculate_charges(
    inputs: Iterable[ChargeInput], tariffs: TariffTable, curtailment_until: dict[str, date] | None = None
) -> list[ChargeLine]:
    """Compute every line; a point that cannot be computed gets a ``not_computed`` line with the reason."""
    lines = []
    for inp in inputs:
        try:
            lines.append(calculate_charge(inp, tariffs, curtailment_until))
        except ChargeError as exc:
            lines.append(not_computed(inp, str(exc)))
    return lines
