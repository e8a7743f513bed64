"""The tariff table (託送供給等約款 料金表) kept as data, and its validation (wheeling-charges.md §11.1).

Unit prices are never written in code. A rate file is a UTF-8 CSV with one row per charge component
(columns: ``COLUMNS``, documented in ``docs/reconciliation.md``); ``calendars.csv`` in the same folder
holds the time-of-use calendars (``reconcile/tou_calendar.py``). The shipped files live in
``reconcile/tariffs/``: every public unit price of tariffs-public.md that has a menu, a unit and a
validity period, each row with its status (``confirmed``: the TSO's own figure; ``secondary``: restated
by someone else).

A user's file or folder (the retailer's copy of its TSOs' 料金表) is merged over the shipped tables and
wins: on a day where a user's rate set exists for an area's menu, the shipped one is not used, and the
charge line's ``rate_status`` is ``user`` (or ``example`` for the demo's example rates).

A ``tariff_id`` identifies one rate set: one area's service menu (接続送電サービス) for one validity
period. All rows of a ``tariff_id`` share its area, voltage, menu and validity. Every problem found in a
file has a rule id (``RULES``) and a line number.
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

from reconcile.contract import CONTRACT_BASES
from reconcile.rules import SLOTS_PER_DAY
from reconcile.tou_calendar import TouCalendar, parse_night_days

SHIPPED_TARIFFS = Path(__file__).with_name("tariffs")
CALENDAR_FILE = "calendars.csv"

COLUMNS = (
    "tariff_id",
    "area_code",
    "voltage",
    "service_menu",
    "charge",
    "contract_basis",
    "size",
    "tou_band",
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
CALENDAR_COLUMNS = ("area_code", "day_slots", "night_all_day", "status", "source")

# basic-charge contract basis (contract.CONTRACT_BASES without the 定額 ones) → the units it is priced in
BASIC_UNITS: dict[str, tuple[str, ...]] = {
    "kW": ("kW",),  # 実量契約 / 協議, per kW
    "kVA": ("kVA",),  # SB・主開閉器契約, per kVA
    "A": ("contract",),  # SB契約 5 A / 15 A: per contract of the size in `size`
    "main_switch_kW": ("kW",),  # 主開閉器契約 (動力), per kW
}
assert set(BASIC_UNITS) <= set(CONTRACT_BASES)
CHARGES = ("basic", "energy", "lamp", "appliance")  # 基本料金, 電力量料金, 電灯料金 (定額), 小型機器料金 (定額)
FLAT_UNITS = {"lamp": "lamp", "appliance": "appliance"}
UNITS = ("kW", "kVA", "contract", "kWh", "lamp", "appliance")
TOU_BANDS = ("all", "day", "night")  # 全時間 / 昼間 / 夜間
VOLTAGES = ("low", "high")
SHIPPED_STATUSES = ("confirmed", "secondary")  # what the shipped files may say
USER_STATUSES = ("user", "example")  # what a user's file may say (empty = user)
AREA_CODES = tuple(f"{n:02d}" for n in range(1, 11))
FAR_PAST = date(1900, 1, 1)
FAR_FUTURE = date(9999, 12, 31)

# rate_status of a charge line: the weakest status among the rates (and calendar) it used
STATUS_STRENGTH = ("example", "secondary", "user", "confirmed")

RULES: dict[str, str] = {
    "TF01": "header: a required column is missing, or a column is unknown",
    "TF02": "a required value is empty",
    "TF03": "an unknown code (area, voltage, charge, contract basis, unit, band, status, true/false)",
    "TF04": "a unit, contract basis or size that does not fit the charge",
    "TF05": "a unit price that is not a non-negative decimal number",
    "TF06": "a date that is not YYYY-MM-DD, or valid_to before valid_from",
    "TF07": "rows of one tariff_id disagree on area, voltage, menu, validity or default_menu",
    "TF08": "the same component twice in one rate set",
    "TF09": "energy bands: 'all' mixed with day/night, or day without night",
    "TF10": "two rate sets of one area, voltage and menu valid on the same day",
    "TF11": "two default menus for one area and voltage on the same day",
    "TF12": "a calendar row that cannot be read (slots, all-night days, area given twice)",
    "TF13": "a line with more values than the header",
    "TF14": "a file or folder that cannot be read as a tariff",
}


@dataclass(frozen=True)
class TariffProblem:
    """One problem in a tariff or calendar file, with its rule id and line."""

    file: str
    line: int | None
    rule: str  # a key of RULES
    message: str

    def render(self) -> str:
        """``file:line: error TF03: message`` — the form ``takuso tariffs check`` prints."""
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: error {self.rule}: {self.message}"


class TariffError(ValueError):
    """A tariff file is invalid; ``problems`` lists every problem with its file, line and rule id."""

    def __init__(self, problems: list[TariffProblem]) -> None:
        self.problems = problems
        super().__init__("invalid tariff table:\n  " + "\n  ".join(p.render() for p in problems))


@dataclass(frozen=True)
class TariffRow:
    """One charge component of one rate set (one line of a tariff file)."""

    tariff_id: str
    area_code: str
    voltage: str  # 'low' (低圧) or 'high' (特高・高圧)
    service_menu: str  # 接続送電サービス name, e.g. 電灯標準接続送電サービス
    charge: str  # basic / energy / lamp / appliance
    contract_basis: str  # basic rows: kW, kVA, A, main_switch_kW; '' otherwise
    size: str  # A rows: amperes ('5', '15'); lamp/appliance rows: the size (20W以下, 50VA以下, …)
    tou_band: str  # all / day (昼間) / night (夜間); day/night slots come from the area's calendar
    unit: str  # kW, kVA, contract, kWh, lamp, appliance
    unit_price_yen: Decimal | None  # tax included (税込); None = not found (a charge that needs it fails)
    valid_from: date  # first day the price applies
    valid_to: date  # last day the price applies (inclusive)
    pf_adjustment: bool  # whether 力率割引・割増 applies to this basic charge
    default_menu: bool  # menu used for points whose menu is not known (assumed, see docs)
    status: str  # confirmed / secondary (shipped); user / example (a user's file)
    source: str
    origin: str  # "file line N", for messages

    def valid_on(self, day: date) -> bool:
        """True when the row's price applies on ``day``."""
        return self.valid_from <= day <= self.valid_to

    def component(self) -> str:
        """``basic kW``, ``basic A 15``, ``lamp 20W以下``, ``energy day`` — the row's place in its rate set."""
        if self.charge == "energy":
            return f"energy {self.tou_band}"
        return " ".join(part for part in (self.charge, self.contract_basis, self.size) if part)


def parse_slots(text: str) -> frozenset[int]:
    """``"17-44"`` or ``"1-16,45-48"`` → the set of slots (1..48). Slot n covers (n−1)·30 to n·30 minutes."""
    slots: set[int] = set()
    for part in text.replace(" ", "").replace(";", ",").split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        first, last = int(lo), int(hi or lo)
        if not (1 <= first <= last <= SLOTS_PER_DAY):
            raise ValueError(f"slot range {part!r} is not within 1..{SLOTS_PER_DAY}")
        slots.update(range(first, last + 1))
    return frozenset(slots)


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "yes", "1"):
        return True
    if value in ("false", "no", "0", ""):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


class _RowReader:
    """Turns one record into a ``TariffRow``, collecting every problem of the line."""

    def __init__(self, file: str, line: int, rec: dict[str, str], user: bool) -> None:
        self.file, self.line, self.user = file, line, user
        self.get = {k: (rec.get(k) or "").strip() for k in COLUMNS}
        self.problems: list[TariffProblem] = []

    def problem(self, rule: str, message: str) -> None:
        self.problems.append(TariffProblem(self.file, self.line, rule, message))

    def code(self, column: str, allowed: Iterable[str], default: str = "") -> str:
        value = self.get[column] or default
        allowed = tuple(allowed)
        if value not in allowed:
            self.problem("TF03", f"unknown {column} {value!r} (expected one of {', '.join(allowed)})")
        return value

    def read(self) -> TariffRow | None:
        get = self.get
        for col in REQUIRED:
            if not get[col]:
                self.problem("TF02", f"column {col!r} is empty")
        if self.problems:
            return None
        area = self.code("area_code", AREA_CODES)
        voltage = self.code("voltage", VOLTAGES)
        charge = self.code("charge", CHARGES)
        unit = self.code("unit", UNITS)
        band = self.code("tou_band", TOU_BANDS, "all")
        basis, size = get["contract_basis"], get["size"]
        if unit not in UNITS:
            pass  # reported above; a fit check would only repeat it
        elif charge == "basic":
            if self.code("contract_basis", BASIC_UNITS) in BASIC_UNITS:
                if unit not in BASIC_UNITS[basis]:
                    self.problem("TF04", f"a basic charge on basis {basis!r} is priced per {BASIC_UNITS[basis][0]}")
                if basis == "A" and not size.isdigit():
                    self.problem("TF04", "a basic charge on basis 'A' needs the amperes in size, e.g. 15")
                if basis != "A" and size:
                    self.problem("TF04", f"size is only used with basis 'A' on basic rows, not {basis!r}")
        elif charge in FLAT_UNITS:
            if unit != FLAT_UNITS[charge] or basis:
                self.problem("TF04", f"a {charge} row has unit {FLAT_UNITS[charge]!r} and an empty contract_basis")
            if not size:
                self.problem("TF04", f"a {charge} row needs its size, e.g. 20W以下 or 50VA以下")
        elif charge == "energy" and (unit != "kWh" or basis or size):
            self.problem("TF04", "an energy row has unit 'kWh' and empty contract_basis and size")
        if band != "all" and charge != "energy":
            self.problem("TF04", f"tou_band {band!r} is only allowed on energy rows")
        price: Decimal | None = None
        if get["unit_price_yen"]:
            try:
                price = Decimal(get["unit_price_yen"])
            except InvalidOperation:
                price = None
                self.problem("TF05", f"unit_price_yen {get['unit_price_yen']!r} is not a decimal number")
            else:
                if not price.is_finite() or price < 0:
                    self.problem("TF05", f"unit_price_yen {get['unit_price_yen']!r} must be a non-negative number")
        try:
            valid_from = date.fromisoformat(get["valid_from"]) if get["valid_from"] else FAR_PAST
            valid_to = date.fromisoformat(get["valid_to"]) if get["valid_to"] else FAR_FUTURE
        except ValueError:
            self.problem("TF06", "valid_from and valid_to are YYYY-MM-DD or empty")
            valid_from, valid_to = FAR_PAST, FAR_FUTURE
        if valid_to < valid_from:
            self.problem("TF06", f"valid_to {valid_to} is before valid_from {valid_from}")
        flags = {}
        for col in ("pf_adjustment", "default_menu"):
            try:
                flags[col] = _parse_bool(get[col])
            except ValueError as exc:
                self.problem("TF03", f"{col}: {exc}")
                flags[col] = False
        status = self.code("status", USER_STATUSES, "user") if self.user else self.code("status", SHIPPED_STATUSES)
        if self.problems:
            return None
        return TariffRow(
            tariff_id=get["tariff_id"],
            area_code=area,
            voltage=voltage,
            service_menu=get["service_menu"],
            charge=charge,
            contract_basis=basis,
            size=size,
            tou_band=band,
            unit=unit,
            unit_price_yen=price,
            valid_from=valid_from,
            valid_to=valid_to,
            pf_adjustment=flags["pf_adjustment"],
            default_menu=flags["default_menu"],
            status=status,
            source=get["source"],
            origin=f"{self.file} line {self.line}",
        )


def _records(path: Path) -> tuple[list[tuple[int, list[str]]], list[TariffProblem]]:
    """The non-comment lines of a CSV with their line numbers (header first)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            numbered = [(n, line) for n, line in enumerate(fh, start=1) if line.strip() and not line.startswith("#")]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [TariffProblem(path.name, None, "TF14", f"cannot be read as UTF-8 text: {exc}")]
    records = list(csv.reader(line for _, line in numbered))
    return [(n, values) for (n, _), values in zip(numbered, records, strict=True)], []


def _header(
    path: Path, records: list[tuple[int, list[str]]], columns: tuple[str, ...], required: tuple[str, ...]
) -> tuple[list[str] | None, list[TariffProblem]]:
    if not records:
        return None, [TariffProblem(path.name, None, "TF01", f"no header row; expected {','.join(columns)}")]
    line, header = records[0]
    header = [h.strip() for h in header]
    problems = []
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(TariffProblem(path.name, line, "TF01", f"missing columns {', '.join(missing)}"))
    unknown = [c for c in header if c not in columns]
    if unknown:
        problems.append(
            TariffProblem(
                path.name, line, "TF01", f"unknown columns {', '.join(unknown)}; allowed: {', '.join(columns)}"
            )
        )
    return (None if missing else header), problems


def read_rate_file(path: Path, user: bool = False) -> tuple[list[TariffRow], list[TariffProblem]]:
    """Parse one rate file; return its rows and the problems of each line (``#`` lines are comments)."""
    records, problems = _records(path)
    if problems:
        return [], problems
    header, problems = _header(path, records, COLUMNS, REQUIRED)
    if header is None:
        return [], problems
    rows: list[TariffRow] = []
    for lineno, values in records[1:]:
        if len(values) > len(header):
            problems.append(
                TariffProblem(path.name, lineno, "TF13", f"{len(values)} values but the header has {len(header)}")
            )
            continue
        reader = _RowReader(path.name, lineno, dict(zip(header, values, strict=False)), user)
        row = reader.read()
        problems.extend(reader.problems)
        if row is not None:
            rows.append(row)
    return rows, problems


def read_calendar_file(path: Path, user: bool = False) -> tuple[list[TouCalendar], list[TariffProblem]]:
    """Parse a ``calendars.csv``: one time-of-use calendar per area."""
    records, problems = _records(path)
    if problems:
        return [], problems
    header, problems = _header(path, records, CALENDAR_COLUMNS, CALENDAR_COLUMNS[:3])
    if header is None:
        return [], problems
    calendars: list[TouCalendar] = []
    seen: dict[str, int] = {}
    for lineno, values in records[1:]:
        rec = {k: v.strip() for k, v in zip(header, values, strict=False)}
        where = (path.name, lineno)
        area, status = rec.get("area_code", ""), rec.get("status", "") or ("user" if user else "")
        if area not in AREA_CODES:
            problems.append(TariffProblem(*where, "TF03", f"unknown area_code {area!r} (expected 01..10)"))
            continue
        if area in seen:
            problems.append(TariffProblem(*where, "TF12", f"area {area} already has a calendar (line {seen[area]})"))
            continue
        seen[area] = lineno
        allowed = USER_STATUSES if user else SHIPPED_STATUSES
        if status not in allowed:
            problems.append(TariffProblem(*where, "TF03", f"unknown status {status!r} (expected {', '.join(allowed)})"))
            continue
        try:
            day_slots = parse_slots(rec.get("day_slots", ""))
            weekdays, national, dates = parse_night_days(rec.get("night_all_day", ""))
        except ValueError as exc:
            problems.append(TariffProblem(*where, "TF12", str(exc)))
            continue
        if not day_slots:
            problems.append(TariffProblem(*where, "TF12", "day_slots is empty; give the 昼間 slots, e.g. 17-44"))
            continue
        calendars.append(
            TouCalendar(
                area, day_slots, weekdays, national, dates, status, rec.get("source", ""), f"{path.name} line {lineno}"
            )
        )
    return calendars, problems


def _consistency_problems(rows: list[TariffRow]) -> Iterator[TariffProblem]:
    def at(row: TariffRow, rule: str, message: str) -> TariffProblem:
        file, _, line = row.origin.rpartition(" line ")
        return TariffProblem(file, int(line), rule, message)

    by_id: dict[str, list[TariffRow]] = defaultdict(list)
    for row in rows:
        by_id[row.tariff_id].append(row)
    for tariff_id, members in by_id.items():
        first = members[0]
        shared = ("area_code", "voltage", "service_menu", "valid_from", "valid_to", "default_menu")
        for row in members[1:]:
            for attr in shared:
                if getattr(row, attr) != getattr(first, attr):
                    yield at(
                        row,
                        "TF07",
                        f"tariff_id {tariff_id!r} has {attr} {getattr(row, attr)!s} but {first.origin} has "
                        f"{getattr(first, attr)!s}; all rows of a tariff_id share it",
                    )
        seen: dict[str, TariffRow] = {}
        for row in members:
            if row.component() in seen:
                yield at(row, "TF08", f"{tariff_id} {row.component()} is also on {seen[row.component()].origin}")
            seen[row.component()] = row
        bands = {r.tou_band for r in members if r.charge == "energy"}
        if ("all" in bands and len(bands) > 1) or (bands and "all" not in bands and bands != {"day", "night"}):
            yield at(
                first, "TF09", f"tariff_id {tariff_id!r} has energy bands {sorted(bands)}; use all, or day + night"
            )
    heads = sorted((m[0] for m in by_id.values()), key=lambda r: (r.area_code, r.voltage, r.service_menu, r.valid_from))
    for a, b in pairwise(heads):
        if (a.area_code, a.voltage, a.service_menu) == (
            b.area_code,
            b.voltage,
            b.service_menu,
        ) and b.valid_from <= a.valid_to:
            yield at(
                b,
                "TF10",
                f"{b.tariff_id} ({b.valid_from}..{b.valid_to}) overlaps {a.tariff_id} ({a.valid_from}..{a.valid_to}) "
                f"for area {a.area_code} {a.voltage} voltage {a.service_menu}",
            )
    defaults = sorted((h for h in heads if h.default_menu), key=lambda r: (r.area_code, r.voltage, r.valid_from))
    for a, b in pairwise(defaults):
        if (a.area_code, a.voltage) == (b.area_code, b.voltage) and b.valid_from <= a.valid_to:
            yield at(
                b,
                "TF11",
                f"two default menus for area {a.area_code} {a.voltage} voltage: {a.tariff_id} and {b.tariff_id}",
            )


def validate_rows(rows: Iterable[TariffRow]) -> list[TariffProblem]:
    """Problems that need several rows to see: shared columns, duplicates, bands, overlaps, defaults."""
    return list(_consistency_problems(list(rows)))


def tariff_files(path: Path) -> list[Path]:
    """The CSV files of a tariff path: one file, or every ``*.csv`` of a folder (``calendars.csv`` included)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        if not files:
            raise TariffError([TariffProblem(str(path), None, "TF14", "no tariff files (*.csv) in this folder")])
        return files
    if not path.is_file():
        raise TariffError(
            [TariffProblem(str(path), None, "TF14", "tariff file not found; pass a CSV file or a folder of them")]
        )
    return [path]


@dataclass(frozen=True)
class TariffLayer:
    """The validated rows and calendars of one tariff path (the shipped folder, or a user's file)."""

    rows: tuple[TariffRow, ...]
    calendars: tuple[TouCalendar, ...]


def read_layer(path: Path, user: bool) -> tuple[TariffLayer, list[TariffProblem]]:
    """Read and validate every file of a tariff path; return what could be read and every problem."""
    rows: list[TariffRow] = []
    calendars: list[TouCalendar] = []
    problems: list[TariffProblem] = []
    try:
        files = tariff_files(path)
    except TariffError as exc:
        return TariffLayer((), ()), exc.problems
    for file in files:
        if file.name == CALENDAR_FILE:
            found, errs = read_calendar_file(file, user)
            calendars.extend(found)
        else:
            file_rows, errs = read_rate_file(file, user)
            rows.extend(file_rows)
        problems.extend(errs)
    problems.extend(validate_rows(rows))
    return TariffLayer(tuple(rows), tuple(calendars)), problems


@dataclass(frozen=True)
class TariffTable:
    """The shipped rate sets with a user's merged over them; looked up by area, menu and day."""

    rows: tuple[TariffRow, ...]  # shipped rows
    user_rows: tuple[TariffRow, ...] = ()  # a user's rows: win over shipped ones on the days they cover
    calendars: tuple[TouCalendar, ...] = ()  # shipped and user calendars, the user's first

    def rate_set(self, area_code: str, service_menu: str, day: date) -> tuple[TariffRow, ...]:
        """The rows of the rate set of ``service_menu`` in ``area_code`` valid on ``day`` (may be empty).

        A user's rate set for that menu and day wins over the shipped one.
        """
        for layer in (self.user_rows, self.rows):
            found = tuple(
                r for r in layer if r.area_code == area_code and r.service_menu == service_menu and r.valid_on(day)
            )
            if found:
                return found
        return ()

    def default_menu(self, area_code: str, voltage: str, day: date) -> str | None:
        """The menu marked ``default_menu`` for an area and voltage on ``day`` (assumed fallback), or None."""
        for layer in (self.user_rows, self.rows):
            for r in layer:
                if r.default_menu and r.area_code == area_code and r.voltage == voltage and r.valid_on(day):
                    return r.service_menu
        return None

    def calendar(self, area_code: str) -> TouCalendar | None:
        """The area's time-of-use calendar (a user's wins), or None when none is known."""
        return next((c for c in self.calendars if c.area_code == area_code), None)

    def all_rows(self) -> tuple[TariffRow, ...]:
        """Every row, the user's first."""
        return self.user_rows + self.rows

    def tariff_ids(self) -> list[str]:
        """Every tariff_id, in file order."""
        return list(dict.fromkeys(r.tariff_id for r in self.all_rows()))


def load_tariffs(user_path: Path | None = None, shipped: Path | None = SHIPPED_TARIFFS) -> TariffTable:
    """The shipped tariff tables with a user's file or folder merged over them.

    ``shipped=None`` leaves the shipped tables out (a user's file alone). Raises ``TariffError`` listing
    every problem of either at once.
    """
    base, problems = read_layer(shipped, user=False) if shipped is not None else (TariffLayer((), ()), [])
    user = TariffLayer((), ())
    if user_path is not None:
        user, user_problems = read_layer(user_path, user=True)
        problems = problems + user_problems
    if problems:
        raise TariffError(problems)
    return TariffTable(base.rows, user.rows, user.calendars + base.calendars)


def weakest_status(statuses: Iterable[str]) -> str | None:
    """The weakest of several rate statuses (``example`` < ``secondary`` < ``user`` < ``confirmed``)."""
    found = [s for s in statuses if s]
    return min(found, key=STATUS_STRENGTH.index) if found else None
