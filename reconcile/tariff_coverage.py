"""What a tariff table covers (area × voltage × menu × validity period), and blank templates per area.

Pure functions over a ``TariffTable``: ``coverage()`` gives one ``RateSetSummary`` per rate set (for
``takuso tariffs``); ``template_csv()`` writes, for one area and voltage, every menu and component the
shipped tables know at that voltage (in any area) with the prices and dates left empty, so a retailer
copies its TSO's 料金表 (price table) into it.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from reconcile.tariff import AREA_CODES, COLUMNS, FAR_FUTURE, FAR_PAST, VOLTAGES, TariffRow, TariffTable, weakest_status


@dataclass(frozen=True)
class RateSetSummary:
    """One rate set (tariff_id) as ``takuso tariffs`` shows it."""

    area_code: str
    voltage: str
    service_menu: str
    valid_from: date | None  # None = open start
    valid_to: date | None  # None = open end
    tariff_id: str
    status: str  # weakest status of its rows
    layer: str  # 'shipped' or 'user'
    components: int
    prices_missing: int  # components without a unit price
    needs_calendar: bool  # has day/night energy rates
    has_calendar: bool  # the area has a time-of-use calendar

    @property
    def usable(self) -> str:
        """``yes``, or what stops a charge on this rate set from being computed."""
        gaps = []
        if self.prices_missing:
            gaps.append(f"{self.prices_missing} price(s) missing")
        if self.needs_calendar and not self.has_calendar:
            gaps.append("no time-of-use calendar")
        return "; ".join(gaps) or "yes"

    def period(self) -> str:
        """``2024-04-01..2025-09-30``, ``2025-10-01..`` or ``..2023-03-31``."""
        return f"{self.valid_from or ''}..{self.valid_to or ''}"


def _summaries(rows: tuple[TariffRow, ...], layer: str, table: TariffTable) -> list[RateSetSummary]:
    by_id: dict[str, list[TariffRow]] = defaultdict(list)
    for row in rows:
        by_id[row.tariff_id].append(row)
    out = []
    for tariff_id, members in by_id.items():
        head = members[0]
        out.append(
            RateSetSummary(
                area_code=head.area_code,
                voltage=head.voltage,
                service_menu=head.service_menu,
                valid_from=None if head.valid_from == FAR_PAST else head.valid_from,
                valid_to=None if head.valid_to == FAR_FUTURE else head.valid_to,
                tariff_id=tariff_id,
                status=weakest_status(r.status for r in members) or "",
                layer=layer,
                components=len(members),
                prices_missing=sum(1 for r in members if r.unit_price_yen is None),
                needs_calendar=any(r.tou_band != "all" for r in members),
                has_calendar=table.calendar(head.area_code) is not None,
            )
        )
    return out


def coverage(table: TariffTable, area_code: str | None = None) -> list[RateSetSummary]:
    """Every rate set, the user's beside the shipped ones, sorted by area, voltage, menu and start."""
    found = _summaries(table.user_rows, "user", table) + _summaries(table.rows, "shipped", table)
    if area_code is not None:
        found = [s for s in found if s.area_code == area_code]
    return sorted(found, key=lambda s: (s.area_code, s.voltage, s.service_menu, s.valid_from or FAR_PAST, s.layer))


def uncovered(table: TariffTable) -> list[tuple[str, str]]:
    """(area, voltage) pairs without any rate set at all."""
    have = {(r.area_code, r.voltage) for r in table.all_rows()}
    return [(a, v) for a in AREA_CODES for v in VOLTAGES if (a, v) not in have]


def _slug(row: TariffRow) -> str:
    """``01-dento-hyojun-2024-04`` → ``dento-hyojun``: the menu's short name in shipped tariff ids."""
    slug = re.sub(r"^\d\d-", "", row.tariff_id)
    return re.sub(r"-(before-)?\d{4}-\d\d$", "", slug)


def _known_menus(table: TariffTable, voltage: str) -> dict[str, dict[str, TariffRow]]:
    """menu → component → a row of the latest rate set that has it, over every area, at one voltage."""
    menus: dict[str, dict[str, TariffRow]] = {}
    for row in sorted((r for r in table.rows if r.voltage == voltage), key=lambda r: r.valid_from):
        menus.setdefault(row.service_menu, {})[row.component()] = row
    return menus


_CHARGE_ORDER = ("basic", "lamp", "appliance", "energy")
_BASIS_ORDER = ("kW", "kVA", "A", "main_switch_kW", "")
_BAND_ORDER = ("all", "day", "night")


def _component_order(row: TariffRow) -> tuple[int, int, int, int]:
    """Basic rows (kW, kVA, A by size) first, then lamps, appliances and the energy bands."""
    size = int(row.size) if row.size.isdigit() else 0
    return (
        _CHARGE_ORDER.index(row.charge),
        _BASIS_ORDER.index(row.contract_basis),
        size,
        _BAND_ORDER.index(row.tou_band),
    )


def template_csv(table: TariffTable, area_code: str, voltage: str) -> str:
    """A rate file for one area and voltage: every known menu and component, prices and dates empty."""
    out = io.StringIO()
    out.write(
        f"# Tariff template for area {area_code}, {voltage} voltage: copy each unit price (税込, tax included) from\n"
        "# your TSO's 託送供給等約款 料金表, set valid_from (YYYY-MM-DD, and valid_to when a later table replaces\n"
        "# it), say where each figure comes from in source, delete the rows your TSO does not have, then run\n"
        "# `takuso tariffs check FILE`. Columns and rule ids: docs/reconciliation.md (Tariff file format).\n"
    )
    if table.calendar(area_code) is None:
        out.write(
            f"# Area {area_code} has no time-of-use calendar: for 時間帯別 menus add calendars.csv beside this file:\n"
            "#   area_code,day_slots,night_all_day,status,source\n"
            f"#   {area_code},17-44,sunday;national_holiday;01-02;01-03;12-30;12-31,,your TSO's 約款 section\n"
        )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for menu, components in _known_menus(table, voltage).items():
        for row in sorted(components.values(), key=_component_order):
            writer.writerow(
                [
                    f"{area_code}-{_slug(row)}",
                    area_code,
                    voltage,
                    menu,
                    row.charge,
                    row.contract_basis,
                    row.size,
                    row.tou_band,
                    row.unit,
                    "",
                    "",
                    "",
                    str(row.pf_adjustment).lower(),
                    str(row.default_menu).lower(),
                    "user",
                    "",
                ]
            )
    return out.getvalue()
