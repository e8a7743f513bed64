"""The wheeling-charge calculation (託送料金の計算) for one supply point and billing period.

Pure functions on ``decimal.Decimal`` (never float), following wheeling-charges.md:

* 基本料金 (basic charge, §2): unit price × contract kW / kVA, or per contract (SB 5 A / 15 A), or per lamp
  and appliance (定額). A 定額 contract without lamp and appliance counts is not computed.
* 力率割引・割増 (power-factor adjustment, §3): pf_multiplier = (185 − PF) / 100;
  ``power_factor_adjustment`` = basic × (pf_multiplier − 1), only where the tariff row says so.
* 電力量料金 (energy charge, §4): kWh × unit price effective on each day, per time-of-use band; the bands
  follow the area's calendar (Sundays, national holidays and the TSO's listed days are 夜間 all day).
* 契約超過金 (contract-excess charge, §6) for negotiated (協議) points; multiplier assumed.
* 制限中止割引 (curtailment discount, §7): (basic + PF adjustment) × discount_rate.
* 端数処理 (rounding, §9): kW/kVA/kWh/% half up to 1; lines keep sen; the total is truncated to whole yen.
  kWh: the monthly total (月間確定使用量) when one energy price covers the period; otherwise the unrounded
  30-minute values summed per price segment and band, each sum rounded once (docs/reconciliation.md).
* 日割 (pro-rating, §10.1): when supply starts or ends inside the period, the contract changes, or the
  period differs from the reference month by more than 5 days.
* A unit-price change or a contract change inside a period splits it into segments by day (§4, §11.1).

The contracts come as plain data (``reconcile.contract.SupplyPointContract``), in the order of preference
(the contract register, then Form 2, then the tariff's default menu): on each day the first contract in
force applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from reconcile import rules
from reconcile.contract import FLAT_RATE_BASES, SOURCE_REGISTER, SupplyPointContract
from reconcile.rounding import round_quantity, to_sen, truncate_yen
from reconcile.tariff import TariffRow, TariffTable, weakest_status
from reconcile.tou_calendar import TouCalendar

ZERO = Decimal("0")


class ChargeError(ValueError):
    """The charge cannot be computed (no contract or tariff for a day, unknown price, missing inputs, …)."""


@dataclass(frozen=True)
class ChargeInput:
    """What the calculation needs for one supply point (供給地点) and one billing period (料金の算定期間)."""

    supply_point_id: str
    area_code: str
    target_month: date  # billing month (対象年月), first day
    period_start: date
    period_end: date  # inclusive
    contracts: tuple[SupplyPointContract, ...]  # in order of preference; the first in force on a day applies
    voltage: str = "low"
    power_factor: Decimal | None = None  # 力率, % (monthly average 08:00-22:00)
    max_demand_kw: Decimal | None = None  # 最大需要電力 of the month
    determination_kind: str | None = None  # Form 2 算定区分: actual / negotiated / …
    monthly_kwh: Decimal | None = None  # billable monthly kWh (月間確定使用量)
    slot_kwh: Mapping[date, Mapping[int, Decimal]] = field(default_factory=dict)  # day → slot → billable kWh
    curtailment_rate: Decimal | None = None  # Form 3 discount_rate (fraction)
    curtailment_days: int | None = None  # Form 3 discount_days

    @property
    def period_days(self) -> int:
        """Days of the billing period, both ends included."""
        return (self.period_end - self.period_start).days + 1


@dataclass(frozen=True)
class Segment:
    """Consecutive days of a period with one contract and one rate set (§4, §10.1)."""

    tariff_id: str
    start: date
    end: date
    rows: tuple[TariffRow, ...]
    contract: SupplyPointContract

    @property
    def days(self) -> int:
        """Days in the segment, both ends included."""
        return (self.end - self.start).days + 1

    def label(self) -> str:
        """``2025-09-21..2025-09-30 01-dento-hyojun-2024-04``."""
        return f"{self.start}..{self.end} {self.tariff_id}"


@dataclass(frozen=True)
class ChargeLine:
    """One row of ``wheeling_charges`` with the figures that explain it (columns: warehouse/charges.py)."""

    supply_point_id: str
    area_code: str
    voltage: str
    target_month: date
    period_start: date  # the billing period, cut at the supply start and end
    period_end: date
    period_days: int
    reference_days: int
    is_prorated: bool
    service_menu: str
    status: str  # 'computed' or 'not_computed'
    reason: str | None = None  # why the line was not computed
    rate_status: str | None = None  # weakest status of the rates used: confirmed / secondary / user / example
    tariff_id: str | None = None  # the rate set valid on period_end
    tariff_ids: str = ""  # every rate set used, comma-separated, when the period was split
    contract_source: str = ""  # where the contract came from (register, Form 2, default menu, …)
    contract_basis: str | None = None
    contract_unit: str | None = None
    contract_quantity: Decimal | None = None  # rounded kW / kVA / 1 per contract
    power_factor: Decimal | None = None  # rounded %
    pf_multiplier: Decimal | None = None
    billed_kwh: Decimal | None = None
    kwh_day: Decimal | None = None
    kwh_night: Decimal | None = None
    kwh_source: str = ""  # monthly_usage / interval_usage / none
    discount_rate: Decimal | None = None
    basic_charge: Decimal | None = None
    power_factor_adjustment: Decimal | None = None
    energy_charge: Decimal | None = None
    contract_excess_charge: Decimal | None = None
    curtailment_discount: Decimal | None = None
    total_yen: Decimal | None = None
    detail: str = ""  # the arithmetic of every line, readable
    note: str = ""  # remarks on a computed line (an assumption used, a discount not applied, …)

    def as_dict(self) -> dict[str, Any]:
        """The line as a plain dict (column → value)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _plain(value: Decimal | None) -> str:
    """A measured quantity as written, without trailing zeros: 429.500000 → 429.5, 300.000000 → 300."""
    return "?" if value is None else f"{value.normalize():f}"


def _rounded(value: Decimal, rounded: Decimal, unit: str) -> str:
    """``429.5 kWh → 430 kWh (四捨五入)``, or ``300 kWh`` when rounding changes nothing."""
    if value == rounded:
        return f"{rounded} {unit}"
    return f"{_plain(value)} {unit} → {rounded} {unit} (四捨五入)"


def _pf_text(power_factor: Decimal | None) -> str:
    """``PF 96.5 % → 97 % (四捨五入); (185 − 97)/100``, or the missing-PF rule."""
    if power_factor is None:
        return "PF missing → multiplier (assumed, §3)"
    rounded = round_quantity(power_factor)
    return f"PF {_rounded(power_factor, rounded, '%')}, ({rules.PF_BASE} − {rounded})/100"


def pf_multiplier(power_factor: Decimal) -> Decimal:
    """(185 − PF) / 100 with PF rounded half up to 1 % (§3, §9): 90 → 0.95, 80 → 1.05, 84.5 → 1.00."""
    return (rules.PF_BASE - round_quantity(power_factor)) / Decimal(100)


def _days(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def supplied_period(inp: ChargeInput) -> tuple[date, date]:
    """The billing period cut at the supply start and end that the contracts state (§10.1)."""
    starts = [c.supply_start for c in inp.contracts if c.supply_start is not None]
    ends = [c.supply_end for c in inp.contracts if c.supply_end is not None]
    start = max(inp.period_start, min(starts)) if starts else inp.period_start
    end = min(inp.period_end, max(ends)) if ends else inp.period_end
    if end < start:
        raise ChargeError(f"the point is not supplied in {inp.period_start}..{inp.period_end} (supply start/end)")
    return start, end


def split_period(inp: ChargeInput, tariffs: TariffTable, start: date, end: date) -> list[Segment]:
    """Walk the days and group consecutive days with the same contract and rate set (§4, §10.1)."""
    if inp.period_end < inp.period_start:
        raise ChargeError(f"period_end {inp.period_end} is before period_start {inp.period_start}")
    segments: list[Segment] = []
    for day in _days(start, end):
        contract = next((c for c in inp.contracts if c.applies_on(day)), None)
        if contract is None:
            raise ChargeError(f"no contract (menu) in force on {day}")
        rows = tariffs.rate_set(inp.area_code, contract.service_menu, day)
        if not rows:
            raise ChargeError(
                f"no tariff for area {inp.area_code} menu {contract.service_menu!r} on {day}; add its rates to a "
                "tariff file (takuso tariffs template)"
            )
        last = segments[-1] if segments else None
        if last is not None and last.tariff_id == rows[0].tariff_id and last.contract is contract:
            segments[-1] = Segment(last.tariff_id, last.start, day, last.rows, contract)
        else:
            segments.append(Segment(rows[0].tariff_id, day, day, rows, contract))
    return segments


def _price(row: TariffRow) -> Decimal:
    if row.unit_price_yen is None:
        raise ChargeError(
            f"the unit price of {row.tariff_id} {row.component()} is unknown ({row.origin}); add it to a tariff file"
        )
    return row.unit_price_yen


def _terms(contract: SupplyPointContract) -> tuple[Any, ...]:
    """What a contract prices on; two contracts with the same terms are no contract change."""
    return (contract.service_menu, contract.contract_basis, contract.contract_quantity, tuple(contract.items.items()))


@dataclass
class _Basic:
    basic: Decimal = ZERO
    pf_adjustment: Decimal = ZERO
    multiplier: Decimal | None = None
    row: TariffRow | None = None  # the basic row of the last segment (kW / kVA / A)
    quantity: Decimal | None = None
    used: list[TariffRow] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _flat_rate(seg: Segment, denominator: int, out: _Basic) -> None:
    """定額: count × unit price per lamp / appliance size."""
    contract = seg.contract
    if not contract.items:
        raise ChargeError(
            f"{contract.service_menu} is priced per lamp and appliance (定額) and the contract gives no lamp or "
            "appliance counts"
        )
    for size, count in contract.items.items():
        row = next((r for r in seg.rows if r.charge in FLAT_RATE_BASES and r.size == size), None)
        if row is None:
            sizes = ", ".join(r.size for r in seg.rows if r.charge in FLAT_RATE_BASES)
            raise ChargeError(f"{seg.tariff_id} has no lamp or appliance size {size!r} (it has: {sizes})")
        price = _price(row)
        amount = to_sen(Decimal(count) * price * seg.days / denominator)
        out.basic += amount
        out.used.append(row)
        out.lines.append(
            f"定額 {row.charge} {seg.label()}: {count} × {size} × {price} × {seg.days}/{denominator} = {amount}"
        )


def _basic_row(seg: Segment) -> tuple[TariffRow, Decimal, str]:
    """The basic-charge row for the segment's contract, the quantity it multiplies, and that quantity as text."""
    contract = seg.contract
    basis = contract.contract_basis or rules.DEFAULT_CONTRACT_BASIS
    basics = [r for r in seg.rows if r.charge == "basic"]
    if basis == "A":
        if contract.contract_quantity is None:
            raise ChargeError(f"contract amperes (契約電流) are not known for {contract.supply_point_id}")
        amperes = contract.contract_quantity
        row = next((r for r in basics if r.contract_basis == "A" and Decimal(r.size) == amperes), None)
        if row is None:
            sizes = ", ".join(f"{r.size} A" for r in basics if r.contract_basis == "A") or "none"
            raise ChargeError(
                f"{seg.tariff_id} has no basic charge for a {_plain(amperes)} A contract (A contracts: {sizes})"
            )
        return row, Decimal(1), f"1 contract (SB {_plain(amperes)} A)"
    row = next((r for r in basics if r.contract_basis == basis), None)
    if row is None:
        known = ", ".join(r.contract_basis for r in basics)
        raise ChargeError(f"{seg.tariff_id} has no basic charge on contract basis {basis!r} (it has: {known})")
    if contract.contract_quantity is None:
        raise ChargeError(f"contract {row.unit} (契約電力) is not known for {contract.supply_point_id}")
    quantity = round_quantity(contract.contract_quantity)
    return row, quantity, _rounded(contract.contract_quantity, quantity, row.unit)


def _basic_charge(inp: ChargeInput, segments: list[Segment], denominator: int) -> _Basic:
    """基本料金 (including 定額 lamps / appliances) and 力率割引・割増 over the segments (§2, §3, §10)."""
    out = _Basic()
    pf_missing_noted = False
    for seg in segments:
        has_flat = any(r.charge in FLAT_RATE_BASES for r in seg.rows)
        has_basic = any(r.charge == "basic" for r in seg.rows)
        if seg.contract.is_flat_rate or (has_flat and not has_basic):
            if not has_flat:
                raise ChargeError(f"{seg.tariff_id} has no lamp or appliance (定額) rates for a 定額 contract")
            _flat_rate(seg, denominator, out)
            continue
        if not has_basic:
            continue
        row, quantity, quantity_text = _basic_row(seg)
        price = _price(row)
        amount = to_sen(quantity * price * seg.days / denominator)
        out.row, out.quantity = row, quantity
        out.used.append(row)
        out.basic += amount
        out.lines.append(
            f"基本料金 basic {seg.label()}: {quantity_text} × {price} × {seg.days}/{denominator} = {amount}"
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
            out.lines.append(
                f"力率 PF adjustment {seg.label()}: {_pf_text(inp.power_factor)} = {multiplier}, "
                f"{amount} × ({multiplier} − 1) = {adjustment}"
            )
    if not out.used:
        out.notes.append("the menu has no basic charge")
    return out


@dataclass
class _Energy:
    charge: Decimal = ZERO
    kwh: Decimal = ZERO
    by_band: dict[str, Decimal] = field(default_factory=dict)
    source: str = ""
    used: list[TariffRow] = field(default_factory=list)
    calendar: TouCalendar | None = None
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _missing_slots(inp: ChargeInput, start: date, end: date) -> int:
    present = sum(1 for day in _days(start, end) for v in inp.slot_kwh.get(day, {}).values() if v is not None)
    return ((end - start).days + 1) * rules.SLOTS_PER_DAY - present


def _band_sums(inp: ChargeInput, seg: Segment, calendar: TouCalendar | None) -> dict[str, Decimal]:
    """Unrounded Σ of the segment's 30-minute values per band (``all``, or ``day`` / ``night``)."""
    sums = {"all": ZERO, "day": ZERO, "night": ZERO}
    for day in _days(seg.start, seg.end):
        for slot, kwh in inp.slot_kwh.get(day, {}).items():
            if kwh is None:
                continue
            sums["all"] += kwh
            if calendar is not None:
                sums[calendar.band(day, slot)] += kwh
    return sums


def _energy_charge(inp: ChargeInput, segments: list[Segment], tariffs: TariffTable) -> _Energy:
    """電力量料金: kWh per segment and band, rounded half up to 1 kWh, × the day's unit price (§4, §9)."""
    out = _Energy()
    energy_rows = [[r for r in seg.rows if r.charge == "energy"] for seg in segments]
    if not any(energy_rows):
        out.source = "none"
        out.notes.append("the menu has no energy charge")
        return out
    one_price = len({seg.tariff_id for seg in segments}) == 1 and all(r.tou_band == "all" for r in energy_rows[0])
    if one_price and inp.monthly_kwh is not None:
        # One energy price for the whole period: the TSO's monthly total (月間確定使用量), rounded once (§4, §9).
        out.source = "monthly_usage"
        row = energy_rows[0][0]
        kwh = round_quantity(inp.monthly_kwh)
        price = _price(row)
        amount = to_sen(kwh * price)
        out.charge, out.kwh, out.by_band["all"] = amount, kwh, kwh
        out.used.append(row)
        out.lines.append(
            f"電力量料金 energy {segments[0].start}..{segments[-1].end} {row.tariff_id}: "
            f"monthly {_rounded(inp.monthly_kwh, kwh, 'kWh')} × {price} = {amount}"
        )
        return out
    start, end = segments[0].start, segments[-1].end
    missing = _missing_slots(inp, start, end)
    if missing:
        if any(r.tou_band != "all" for rows in energy_rows for r in rows):
            why = "time-of-use bands"
        else:
            why = "no monthly total" if one_price else "a price or menu change inside the period"
        raise ChargeError(
            f"{missing} of {((end - start).days + 1) * rules.SLOTS_PER_DAY} 30-minute confirmed values are missing "
            f"in {start}..{end} and the energy must be summed from them ({why})"
        )
    out.source = "interval_usage"
    for seg, rows in zip(segments, energy_rows, strict=True):
        calendar = None
        if any(r.tou_band != "all" for r in rows):
            calendar = tariffs.calendar(inp.area_code)
            if calendar is None:
                raise ChargeError(
                    f"no time-of-use calendar for area {inp.area_code} ({seg.tariff_id} has day/night rates); add "
                    "the area's row to calendars.csv"
                )
            out.calendar = calendar
        sums = _band_sums(inp, seg, calendar)
        for row in rows:
            kwh = round_quantity(sums[row.tou_band])
            price = _price(row)
            amount = to_sen(kwh * price)
            out.charge += amount
            out.kwh += kwh
            out.by_band[row.tou_band] = out.by_band.get(row.tou_band, ZERO) + kwh
            out.used.append(row)
            out.lines.append(
                f"電力量料金 energy {seg.label()} {row.tou_band}: Σ30分 {_rounded(sums[row.tou_band], kwh, 'kWh')} "
                f"× {price} = {amount}"
            )
    if out.calendar is not None:
        out.notes.append(f"day/night bands from the {out.calendar.describe()}")
    return out


def _contract_excess(
    inp: ChargeInput, segments: list[Segment], basic: _Basic, denominator: int
) -> tuple[Decimal, list[str]]:
    """契約超過金 (§6, assumed form): excess kW × basic unit price × 1.5 × PF multiplier, by segment days."""
    if inp.determination_kind != rules.CONTRACT_EXCESS_KIND or inp.max_demand_kw is None:
        return ZERO, []
    total, lines = ZERO, list[str]()
    demand = round_quantity(inp.max_demand_kw)
    multiplier = basic.multiplier if basic.multiplier is not None else Decimal(1)
    for seg in segments:
        if seg.contract.is_flat_rate or (seg.contract.contract_basis or rules.DEFAULT_CONTRACT_BASIS) != "kW":
            continue
        row, quantity, _ = _basic_row(seg)
        excess_kw = demand - quantity
        if excess_kw <= 0:
            continue
        price = _price(row)
        amount = to_sen(excess_kw * price * rules.CONTRACT_EXCESS_MULTIPLIER * multiplier * seg.days / denominator)
        total += amount
        lines.append(
            f"契約超過金 excess {seg.label()}: ({demand} − {quantity}) kW × {price} × "
            f"{rules.CONTRACT_EXCESS_MULTIPLIER} × {multiplier} × {seg.days}/{denominator} = {amount}"
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


def _prorating(inp: ChargeInput, start: date, end: date, segments: list[Segment], reference_days: int) -> list[str]:
    """Why the period is pro-rated (日割, §10.1); empty when it is charged as one full month."""
    why = []
    if start > inp.period_start:
        why.append(f"supply starts {start}")
    if end < inp.period_end:
        why.append(f"supply ends {end}")
    changes = [b.start for a, b in pairwise(segments) if _terms(a.contract) != _terms(b.contract)]
    if changes:
        why.append("contract changes " + ", ".join(str(d) for d in changes))
    days = (end - start).days + 1
    if not why and rules.needs_prorating(days, reference_days):
        why.append(f"{days} days vs {reference_days} in the reference month (more than {rules.PRORATE_TOLERANCE_DAYS})")
    return why


def calculate_charge(
    inp: ChargeInput, tariffs: TariffTable, curtailment_until: dict[str, date] | None = None
) -> ChargeLine:
    """Compute one ``wheeling_charges`` line; raise ``ChargeError`` when it cannot be computed."""
    if not inp.contracts:
        raise ChargeError(
            f"no contract known: no {SOURCE_REGISTER} row, no Form 2 menu, and no tariff menu marked default_menu "
            f"for area {inp.area_code} {inp.voltage} voltage on {inp.period_end}"
        )
    start, end = supplied_period(inp)
    segments = split_period(inp, tariffs, start, end)
    reference_days = rules.reference_month_days(inp.target_month)
    days = (end - start).days + 1
    prorate_why = _prorating(inp, start, end, segments, reference_days)
    # §10.1: a full month is one month's basic charge; a pro-rated one is days / reference-month days.
    denominator = reference_days if prorate_why else days
    basic = _basic_charge(inp, segments, denominator)
    energy = _energy_charge(inp, segments, tariffs)
    excess, excess_lines = _contract_excess(inp, segments, basic, denominator)
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
    head = [f"日割 pro-rated ({'; '.join(prorate_why)}): {days}/{reference_days}"] if prorate_why else []
    lines = [
        *head,
        *basic.lines,
        *energy.lines,
        *excess_lines,
        *discount_line,
        f"合計 total: {gross} → {total} (切り捨て)",
    ]
    statuses = [r.status for r in basic.used + energy.used]
    if energy.calendar is not None:
        statuses.append(energy.calendar.status)
    last = segments[-1]
    return ChargeLine(
        **_period_of(inp, start, end, reference_days),
        is_prorated=bool(prorate_why),
        service_menu=last.contract.service_menu,
        status="computed",
        rate_status=weakest_status(statuses),
        tariff_id=last.tariff_id,
        tariff_ids=",".join(dict.fromkeys(s.tariff_id for s in segments)),
        contract_source=",".join(dict.fromkeys(s.contract.source for s in segments)),
        contract_basis=last.contract.contract_basis or (basic.row.contract_basis if basic.row else None),
        contract_unit=basic.row.unit if basic.row else None,
        contract_quantity=basic.quantity,
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


def _period_of(inp: ChargeInput, start: date, end: date, reference_days: int) -> dict[str, Any]:
    """The point and billing period every charge line starts with, computed or not."""
    return {
        "supply_point_id": inp.supply_point_id,
        "area_code": inp.area_code,
        "voltage": inp.voltage,
        "target_month": inp.target_month,
        "period_start": start,
        "period_end": end,
        "period_days": (end - start).days + 1,
        "reference_days": reference_days,
    }


def not_computed(inp: ChargeInput, reason: str) -> ChargeLine:
    """A line that says why no charge was computed (amounts NULL, ``status`` = 'not_computed')."""
    reference_days = rules.reference_month_days(inp.target_month)
    return ChargeLine(
        **_period_of(inp, inp.period_start, inp.period_end, reference_days),
        is_prorated=rules.needs_prorating(inp.period_days, reference_days),
        service_menu=inp.contracts[0].service_menu if inp.contracts else "",
        status="not_computed",
        reason=reason,
        contract_source=",".join(dict.fromkeys(c.source for c in inp.contracts)),
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
