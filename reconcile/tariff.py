"""The tariff table (託送供給等約款 料金表) kept as data, and its validation (wheeling-charges.md §11.1).

Unit prices are never written in code. A tariff file is a UTF-8 CSV with one row per charge component;
the columns are documented in ``reconcile/tariffs/README.md`` and ``docs/reconciliation.md``. The shipped
files live in ``reconcile/tariffs/``; a user can point the calculation at their own file or folder.

A ``tariff_id`` identifies one rate set: one area's service menu (接続送電サービス) for one validity
period. All rows of a ``tariff_id`` share its area, voltage, menu and validity.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path

from reconcile.rules import SLOTS_PER_DAY

SHIPPED_TARIFFS = Path(__file__).with_name("tariffs")

COLUMNS = (
    "tariff_id",
    "area_code",
    "voltage",
    "service_menu",
    "charge",
    "contract_basis",
    "tou_band",
    "tou_slots",
    "unit",
    "unit_price_yen",
    "valid_from",
    "valid_to",
    "pf_adjustment",
    "default_menu",
    "status",
    "source",
)
REQUIRED = ("tariff_id", "area_code", "voltage", "service_menu", "charge", "unit")

# charge (料金の種類) → the units (単位) it may be priced in
UNITS_BY_CHARGE: dict[str, tuple[str, ...]] = {
    "basic": ("kW", "kVA", "contract"),  # 基本料金: per kW (実量), per kVA (SB・主開閉器), per contract (SB 5 A / 15 A)
    "energy": ("kWh",),  # 電力量料金
    "lamp": ("lamp",),  # 電灯料金 (定額, per lamp)
    "appliance": ("appliance",),  # 小型機器料金 (定額, per appliance)
}
UNITS = tuple(sorted({u for units in UNITS_BY_CHARGE.values() for u in units}))
TOU_BANDS = ("all", "day", "night")  # 全時間 / 昼間 / 夜間
VOLTAGES = ("low", "high")
STATUSES = ("confirmed", "assumed")
AREA_CODES = tuple(f"{n:02d}" for n in range(1, 11))
FAR_PAST = date(1900, 1, 1)
FAR_FUTURE = date(9999, 12, 31)


class TariffError(ValueError):
    """A tariff file is invalid; the message lists every problem with its file and line."""


@dataclass(frozen=True)
class TariffRow:
    """One charge component of one rate set (one line of a tariff file)."""

    tariff_id: str
    area_code: str
    voltage: str  # 'low' (低圧) or 'high' (特高・高圧)
    service_menu: str  # 接続送電サービス name, e.g. 電灯標準接続送電サービス
    charge: str  # basic / energy / lamp / appliance
    contract_basis: str  # 実量契約, SB・主開閉器契約, SB契約5A, … ('' for energy rows)
    tou_band: str  # all / day (昼間) / night (夜間)
    tou_slots: frozenset[int]  # slots 1..48 of the band; all 48 for 'all'
    unit: str  # kW, kVA, contract, kWh, lamp, appliance
    unit_price_yen: Decimal | None  # tax included (税込); None = not known (the spec has no figure)
    valid_from: date  # first day the price applies
    valid_to: date  # last day the price applies (inclusive)
    pf_adjustment: bool  # whether 力率割引・割増 applies to this basic charge
    default_menu: bool  # menu used for points whose menu is not known (assumed, see docs)
    status: str  # confirmed / assumed
    source: str
    origin: str  # "file:line", for messages

    def valid_on(self, day: date) -> bool:
        """True when the row's price applies on ``day``."""
        return self.valid_from <= day <= self.valid_to


def parse_slots(text: str) -> frozenset[int]:
    """``"17-44"`` or ``"1-16,45-48"`` → the set of slots (1..48). Slot n covers (n−1)·30 to n·30 minutes."""
    slots: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        first, last = int(lo), int(hi or lo)
        if not (1 <= first <= last <= SLOTS_PER_DAY):
            raise ValueError(f"slot range {part!r} is not within 1..{SLOTS_PER_DAY}")
        slots.update(range(first, last + 1))
    return frozenset(slots)


def _parse_date(text: str, default: date) -> date:
    return date.fromisoformat(text) if text else default


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "yes", "1"):
        return True
    if value in ("false", "no", "0", ""):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _row_from_record(rec: dict[str, str], origin: str) -> tuple[TariffRow | None, list[str]]:
    problems: list[str] = []
    get = {k: (rec.get(k) or "").strip() for k in COLUMNS}
    for col in REQUIRED:
        if not get[col]:
            problems.append(f"{origin}: column {col!r} is empty")
    if problems:
        return None, problems
    if get["area_code"] not in AREA_CODES:
        problems.append(f"{origin}: unknown area_code {get['area_code']!r} (expected 01..10)")
    if get["voltage"] not in VOLTAGES:
        problems.append(f"{origin}: unknown voltage {get['voltage']!r} (expected low or high)")
    charge, unit = get["charge"], get["unit"]
    if charge not in UNITS_BY_CHARGE:
        problems.append(f"{origin}: unknown charge {charge!r} (expected one of {', '.join(UNITS_BY_CHARGE)})")
    elif unit not in UNITS:
        problems.append(f"{origin}: unknown unit {unit!r} (expected one of {', '.join(UNITS)})")
    elif unit not in UNITS_BY_CHARGE[charge]:
        problems.append(f"{origin}: unit {unit!r} does not fit charge {charge!r} (use {UNITS_BY_CHARGE[charge]})")
    band = get["tou_band"] or "all"
    slots: frozenset[int] = frozenset(range(1, SLOTS_PER_DAY + 1))
    if band not in TOU_BANDS:
        problems.append(f"{origin}: unknown tou_band {band!r} (expected all, day or night)")
    elif band == "all" and get["tou_slots"]:
        problems.append(f"{origin}: tou_slots must be empty when tou_band is 'all'")
    elif band != "all":
        if charge != "energy":
            problems.append(f"{origin}: tou_band {band!r} is only allowed on energy rows")
        try:
            slots = parse_slots(get["tou_slots"])
        except ValueError as exc:
            problems.append(f"{origin}: tou_slots {get['tou_slots']!r}: {exc}")
        if not slots:
            problems.append(f"{origin}: tou_slots is required for tou_band {band!r}, e.g. 17-44")
    price: Decimal | None = None
    if get["unit_price_yen"]:
        try:
            price = Decimal(get["unit_price_yen"])
        except InvalidOperation:
            problems.append(f"{origin}: unit_price_yen {get['unit_price_yen']!r} is not a decimal number")
        else:
            if not price.is_finite() or price < 0:
                problems.append(f"{origin}: unit_price_yen {get['unit_price_yen']!r} must be a non-negative number")
    try:
        valid_from = _parse_date(get["valid_from"], FAR_PAST)
        valid_to = _parse_date(get["valid_to"], FAR_FUTURE)
    except ValueError:
        problems.append(f"{origin}: valid_from/valid_to must be YYYY-MM-DD or empty")
        valid_from, valid_to = FAR_PAST, FAR_FUTURE
    if valid_to < valid_from:
        problems.append(f"{origin}: valid_to {valid_to} is before valid_from {valid_from}")
    flags = {}
    for col in ("pf_adjustment", "default_menu"):
        try:
            flags[col] = _parse_bool(get[col])
        except ValueError as exc:
            problems.append(f"{origin}: {col}: {exc}")
            flags[col] = False
    status = get["status"] or "assumed"
    if status not in STATUSES:
        problems.append(f"{origin}: unknown status {status!r} (expected confirmed or assumed)")
    if problems:
        return None, problems
    return (
        TariffRow(
            tariff_id=get["tariff_id"],
            area_code=get["area_code"],
            voltage=get["voltage"],
            service_menu=get["service_menu"],
            charge=charge,
            contract_basis=get["contract_basis"],
            tou_band=band,
            tou_slots=slots,
            unit=unit,
            unit_price_yen=price,
            valid_from=valid_from,
            valid_to=valid_to,
            pf_adjustment=flags["pf_adjustment"],
            default_menu=flags["default_menu"],
            status=status,
            source=get["source"],
            origin=origin,
        ),
        [],
    )


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def read_tariff_file(path: Path) -> tuple[list[TariffRow], list[str]]:
    """Parse one tariff CSV; return its rows and the problems found (with ``file line N``).

    Lines starting with ``#`` are comments. Values must not span lines.
    """
    rows: list[TariffRow] = []
    problems: list[str] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        numbered = [(n, line) for n, line in enumerate(fh, start=1) if line.strip() and not _is_comment(line)]
    if not numbered:
        return [], [f"{path}: the file has no header row; expected {','.join(COLUMNS)}"]
    records = list(csv.reader(line for _, line in numbered))
    header = [h.strip() for h in records[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [f"{path}: missing columns {', '.join(missing)}; expected the header {','.join(COLUMNS)}"]
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        problems.append(f"{path}: unknown columns {', '.join(unknown)}; allowed: {', '.join(COLUMNS)}")
    for (lineno, _), values in zip(numbered[1:], records[1:], strict=True):
        if len(values) > len(header):
            problems.append(f"{path.name} line {lineno}: {len(values)} values but the header has {len(header)}")
            continue
        row, errs = _row_from_record(dict(zip(header, values, strict=False)), f"{path.name} line {lineno}")
        problems.extend(errs)
        if row is not None:
            rows.append(row)
    return rows, problems


def _consistency_problems(rows: list[TariffRow]) -> Iterator[str]:
    by_id: dict[str, list[TariffRow]] = defaultdict(list)
    for row in rows:
        by_id[row.tariff_id].append(row)
    for tariff_id, members in by_id.items():
        first = members[0]
        shared = ("area_code", "voltage", "service_menu", "valid_from", "valid_to", "default_menu")
        for row in members[1:]:
            for attr in shared:
                if getattr(row, attr) != getattr(first, attr):
                    yield (
                        f"{row.origin}: tariff_id {tariff_id!r} has {attr} {getattr(row, attr)!s} but "
                        f"{first.origin} has {getattr(first, attr)!s}; all rows of a tariff_id must share it"
                    )
        seen: dict[tuple[str, str, str], TariffRow] = {}
        for row in members:
            key = (row.charge, row.contract_basis, row.tou_band)
            if key in seen:
                yield f"{row.origin}: duplicate of {seen[key].origin} ({tariff_id}: {'/'.join(key)})"
            seen[key] = row
        energy = [r for r in members if r.charge == "energy"]
        bands = {r.tou_band for r in energy}
        if "all" in bands and len(bands) > 1:
            yield f"{first.origin}: tariff_id {tariff_id!r} mixes tou_band 'all' with day/night energy rows"
        elif bands and "all" not in bands:
            covered: list[int] = []
            for r in energy:
                covered.extend(r.tou_slots)
            if sorted(covered) != list(range(1, SLOTS_PER_DAY + 1)):
                yield (
                    f"{first.origin}: the tou_slots of tariff_id {tariff_id!r} must cover slots 1..48 exactly "
                    f"once (day + night); they cover {len(set(covered))} slots with {len(covered) - len(set(covered))} "
                    "overlaps"
                )
    sets = [((m[0].area_code, m[0].voltage, m[0].service_menu), m[0]) for m in by_id.values()]
    sets.sort(key=lambda item: (item[0], item[1].valid_from))
    for (key, a), (key_b, b) in pairwise(sets):
        if key == key_b and b.valid_from <= a.valid_to:
            yield (
                f"{b.origin}: overlapping validity for area {key[0]} {key[1]} voltage menu {key[2]!r}: "
                f"{a.tariff_id} ({a.valid_from}..{a.valid_to}) and {b.tariff_id} ({b.valid_from}..{b.valid_to})"
            )
    defaults: dict[tuple[str, str], list[TariffRow]] = defaultdict(list)
    for members in by_id.values():
        if members[0].default_menu:
            defaults[(members[0].area_code, members[0].voltage)].append(members[0])
    for (area_code, voltage), heads in defaults.items():
        heads.sort(key=lambda r: r.valid_from)
        for a, b in pairwise(heads):
            if b.valid_from <= a.valid_to:
                yield (
                    f"{b.origin}: two default menus for area {area_code} {voltage} voltage at the same time: "
                    f"{a.tariff_id} and {b.tariff_id}"
                )


@dataclass(frozen=True)
class TariffTable:
    """All tariff rows, validated; looked up by area, menu and day."""

    rows: tuple[TariffRow, ...]

    def rate_set(self, area_code: str, service_menu: str, day: date) -> tuple[TariffRow, ...]:
        """The rows of the rate set of ``service_menu`` in ``area_code`` valid on ``day`` (may be empty)."""
        return tuple(
            r for r in self.rows if r.area_code == area_code and r.service_menu == service_menu and r.valid_on(day)
        )

    def default_menu(self, area_code: str, voltage: str, day: date) -> str | None:
        """The menu marked ``default_menu`` for an area and voltage on ``day`` (assumed fallback), or None."""
        for r in self.rows:
            if r.default_menu and r.area_code == area_code and r.voltage == voltage and r.valid_on(day):
                return r.service_menu
        return None

    def tariff_ids(self) -> list[str]:
        """Every tariff_id, in file order."""
        return list(dict.fromkeys(r.tariff_id for r in self.rows))


def tariff_files(path: Path | None) -> list[Path]:
    """The CSV files of a tariff path: one file, every ``*.csv`` of a folder, or the shipped folder."""
    path = SHIPPED_TARIFFS if path is None else Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        if not files:
            raise TariffError(f"{path}: no tariff files (*.csv) in this folder")
        return files
    if not path.is_file():
        raise TariffError(f"{path}: tariff file not found; pass a CSV file or a folder of them")
    return [path]


def validate_rows(rows: Iterable[TariffRow]) -> list[str]:
    """Problems that need several rows to see: shared columns, duplicates, band coverage, overlaps."""
    return list(_consistency_problems(list(rows)))


def load_tariffs(path: Path | None = None) -> TariffTable:
    """Load and validate a tariff file or folder (default: the shipped tables in ``reconcile/tariffs``).

    Raises ``TariffError`` listing every problem (unknown units, overlapping validity, …) at once.
    """
    rows: list[TariffRow] = []
    problems: list[str] = []
    for file in tariff_files(path):
        file_rows, file_problems = read_tariff_file(file)
        rows.extend(file_rows)
        problems.extend(file_problems)
    problems.extend(validate_rows(rows))
    if problems:
        raise TariffError("invalid tariff table:\n  " + "\n  ".join(problems))
    return TariffTable(tuple(rows))
