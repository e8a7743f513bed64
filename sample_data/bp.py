"""Deterministic generator of BP XML files exactly as the TSOs serve them (bp-xml.md §4-§7, §11).

All ten message kinds, zipped, with the real file naming. Per area the scenario varies what real files
vary in: encoding (UTF-8 / Shift_JIS with CP932 vendor characters), a default namespace or none, slots
written ``1`` or ``01``, element order inside records (rule R3). Every area has split-code (仕訳) points,
a point whose monthly data is not provided (availability code 1, later elements omitted), a few missing
preliminary slots, a revised re-send (revision 01) of one per-day file, and preliminary values close to
the confirmed ones, so reconciliation has real differences to find. Σ of a point's confirmed 30-minute
values equals its monthly total, exactly.

Files are written record by record into the ZIP entry, so large files for benchmarks stream too.
"""

from __future__ import annotations

import random
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import EllipsisType
from typing import IO

from core.areas import tso_company_code
from core.kinds import KINDS_BY_NAME, MessageKind
from parsers.bp_xml.filename import bp_filename
from sample_data.ids import HIGH_VOLTAGE_POINT_OFFSET, supply_point_id
from sample_data.people import customer_name, supply_address

SAMPLE_NAMESPACE = "urn:takuso:sample:bp"  # invented: real files may or may not declare one (R2)
RETAILER_CODE = "9999"  # synthetic retailer company code (4 characters + area character)
TENTH = Decimal("0.1")
# Relative load by slot: low at night, a morning and an evening peak.
_PROFILE_TEXT = """
    0.5 0.45 0.4 0.4 0.35 0.35 0.35 0.35 0.4 0.45 0.5 0.6 0.7 0.8 0.9 0.9 0.85 0.8 0.75 0.7 0.7 0.75 0.8 0.8
    0.8 0.75 0.7 0.7 0.7 0.75 0.8 0.9 1.0 1.1 1.2 1.3 1.3 1.25 1.2 1.1 1.0 0.9 0.8 0.7 0.65 0.6 0.55 0.5
"""
PROFILE = tuple(Decimal(v) for v in _PROFILE_TEXT.split())


@dataclass(frozen=True)
class Style:
    """How one area's TSO writes its files."""

    encoding: str = "UTF-8"  # or 'Shift_JIS'
    namespace: str | None = None
    pad_slots: bool = False  # '01' instead of '1'
    value_first: bool = False  # element order inside records differs (R3)


def area_style(area: str) -> Style:
    n = int(area)
    return Style(
        encoding="Shift_JIS" if n % 2 == 0 else "UTF-8",
        namespace=SAMPLE_NAMESPACE if n % 3 == 0 else None,
        pad_slots=n % 4 == 1,
        value_first=n == 5,
    )


@dataclass
class Point:
    """A supply point (供給地点) and what its customer looks like."""

    id: str
    voltage: str  # 'high' / 'low'
    customer_id: str
    name: str
    address: str
    scale: Decimal  # kWh of a slot at profile 1.0
    split: bool = False  # also carries a 部分 (split code 2) record in monthly usage
    provided: bool = True  # monthly confirmed usage provided (availability code 0)
    monthly_kwh: Decimal | None = None  # JP06426 as the TSO states it; None: the sum of the slots
    max_demand_kw: Decimal | None = None  # JP06445 as the TSO states it; None: max slot × 2 (high voltage only)


@dataclass
class Scenario:
    """The sample world of one area: points and their confirmed 30-minute values."""

    area: str
    period_start: date
    period_end: date  # inclusive; the meter reading date is the day after
    points: list[Point]
    confirmed: dict[tuple[str, date], list[Decimal]] = field(default_factory=dict)
    missing: set[tuple[str, date, int]] = field(default_factory=set)  # (point, day, slot) the TSO did not send

    @property
    def reading_date(self) -> date:
        return self.period_end + timedelta(days=1)

    def days(self) -> Iterator[date]:
        d = self.period_start
        while d <= self.period_end:
            yield d
            d += timedelta(days=1)


def slot_value(rng: random.Random, scale: Decimal, slot: int) -> Decimal:
    noise = Decimal(rng.randint(80, 120)) / 100
    return (scale * PROFILE[slot - 1] * noise).quantize(TENTH)


def build_scenario(
    area: str, month: date, seed: int, low_points: int = 4, high_points: int = 2, unprovided_point: bool = True
) -> Scenario:
    """Points of ``area`` and their values for the calendar month ``month`` (billing period).

    ``unprovided_point``: the fourth low-voltage point's monthly usage is not provided (availability code 1).
    """
    rng = random.Random(f"{seed}-{area}")
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    points: list[Point] = []
    for i in range(1, high_points + 1):
        points.append(
            Point(
                supply_point_id(area, HIGH_VOLTAGE_POINT_OFFSET + i), "high", f"H{area}{i:06d}",
                customer_name(rng, True), supply_address(rng, area), Decimal(rng.randint(20, 150)),
            )
        )  # fmt: skip
    for i in range(1, low_points + 1):
        points.append(
            Point(
                supply_point_id(area, i), "low", f"L{area}{i:06d}", customer_name(rng, False),
                supply_address(rng, area), Decimal(rng.randint(4, 12)) / 10,
                split=i == 2, provided=not (unprovided_point and i == 4),
            )
        )  # fmt: skip
    sc = Scenario(area, start, end, points)
    for p in points:
        for d in sc.days():
            sc.confirmed[(p.id, d)] = [slot_value(rng, p.scale, s) for s in range(1, 49)]
    return sc


# ----------------------------------------------------------------------------- XML writing


class XmlOut:
    """Writes XML text into a binary stream in the file's encoding (cp932 for Shift_JIS labels)."""

    def __init__(self, raw: IO[bytes], style: Style) -> None:
        self.raw = raw
        self.style = style
        self.codec = "cp932" if style.encoding.lower() == "shift_jis" else "utf-8"
        self.buf: list[str] = []

    def w(self, text: str) -> None:
        self.buf.append(text)
        if len(self.buf) > 2000:
            self.flush()

    def flush(self) -> None:
        self.raw.write("".join(self.buf).encode(self.codec))
        self.buf.clear()

    def el(self, tag: str, value: object | None) -> None:
        if value is not None:
            self.w(f"<{tag}>{_escape(str(value))}</{tag}>")

    def slot(self, n: int) -> str:
        return f"{n:02d}" if self.style.pad_slots else str(n)

    def open_message(self, kind: MessageKind, area: str, header: Iterable[tuple[str, str]]) -> None:
        ns = f' xmlns="{self.style.namespace}"' if self.style.namespace else ""
        self.w(f'<?xml version="1.0" encoding="{self.style.encoding}"?>\n<SBD-MSG{ns}>\n<JPMGRP>\n<JPMGH>')
        for tag, value in (
            ("JPC03", "0"), ("JPC06", tso_company_code(area)), ("JPC09", RETAILER_CODE + area_char(area)),
            ("JPC10", kind.bp_id[0]), ("JPC11", kind.bp_id[1]), ("JPC12", "3A"), ("JPC14", kind.info_kind_code),
            ("JPC19", "20240501030000"), ("JPC21", "1"),
        ):  # fmt: skip
            self.el(tag, value)
        self.w("</JPMGH>\n<JPTRM>\n")
        self.el("JP00002", kind.info_kind_code)
        self.el("JP06110", tso_company_code(area))
        self.el("JP06111", "サンプル送配電株式会社")
        self.el("JP06112", RETAILER_CODE + area_char(area))
        self.el("JP06170", kind.name_ja)
        for tag, value in header:
            self.el(tag, value)
        self.w("\n")

    def close_message(self) -> None:
        self.w("</JPTRM>\n</JPMGRP>\n</SBD-MSG>\n")
        self.flush()


def area_char(area: str) -> str:
    from core.areas import AREAS

    return AREAS[area].company_area_char


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ymd(d: date) -> str:
    return d.strftime("%Y%m%d")


def zip_writer(path: Path, entry: str) -> tuple[zipfile.ZipFile, IO[bytes]]:
    """A ZIP with one entry; a fixed timestamp keeps the bytes the same for the same seed."""
    zf = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    info = zipfile.ZipInfo(entry, date_time=(2024, 5, 1, 3, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return zf, zf.open(info, "w", force_zip64=True)


def write_zip(path: Path, style: Style, body) -> Path:  # body: Callable[[XmlOut], None]
    """Write one ZIP with one XML entry named like the ZIP, as the TSOs serve them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    zf, raw = zip_writer(path, path.with_suffix(".xml").name)
    with zf, raw:
        out = XmlOut(raw, style)
        body(out)
        out.flush()
    return path


# ----------------------------------------------------------------------------- the ten kinds


def w4_point(out: XmlOut, p: Point, kwh: Decimal | None, value_tag: str, available: bool = True) -> None:
    """One JPMR of a 30-minute file: the point, its customer and the value (or code '1' and no value)."""
    parts: list[tuple[str, object]] = [
        ("JP06400", p.id), ("JP06119", p.customer_id), ("JP06120", p.name),
        ("JP06121", f"{int(p.id[-6:]):016d}"), ("JP06122", "0" if available else "1"),
    ]  # fmt: skip
    value = (value_tag, kwh) if available else None
    if value and out.style.value_first:
        parts.insert(0, value)
    elif value:
        parts.append(value)
    for tag, v in parts:
        out.el(tag, v)


def write_energy_daily(
    path: Path,
    sc: Scenario,
    voltage: str,
    day: date,
    values: Mapping[str, Sequence[Decimal | EllipsisType | None]],
    style: Style,
) -> Path:
    """A 日毎30分電力量 file (0120/1120): slot records (outer), point records (inner)."""
    kind = KINDS_BY_NAME[f"{voltage}_energy_daily"]
    tag = "JP06123" if voltage == "high" else "JP06125"

    def body(out: XmlOut) -> None:
        out.open_message(kind, sc.area, [("JP06116", _ymd(day))])
        out.w("<JPM00010>\n")
        for s in range(1, 49):
            out.w(f"<JPMR00010><JP06219>{out.slot(s)}</JP06219><JPM00011>\n")
            for p in sc.points:
                if p.voltage != voltage or p.id not in values:
                    continue
                v = values[p.id][s - 1]
                if v is ...:  # missing slot: no record at all
                    continue
                out.w("<JPMR00011>")
                w4_point(out, p, v, tag, available=v is not None)
                out.w("</JPMR00011>\n")
            out.w("</JPM00011></JPMR00010>\n")
        out.w("</JPM00010>\n")
        out.close_message()

    return write_zip(path, style, body)


def write_energy_current(
    path: Path, sc: Scenario, voltage: str, day: date, slot: int, values: dict[str, Decimal], style: Style
) -> Path:
    """A 30分電力量 current-day file (0110/1110): one slot, all points."""
    kind = KINDS_BY_NAME[f"{voltage}_energy_current"]
    tag = "JP06123" if voltage == "high" else "JP06125"

    def body(out: XmlOut) -> None:
        out.open_message(kind, sc.area, [("JP06116", _ymd(day)), ("JP06219", out.slot(slot))])
        out.w("<JPM00010>\n")
        for p in sc.points:
            if p.voltage == voltage and p.id in values:
                out.w("<JPMR00010>")
                w4_point(out, p, values[p.id], tag)
                out.w("</JPMR00010>\n")
        out.w("</JPM00010>\n")
        out.close_message()

    return write_zip(path, style, body)


def _split_values(values: list[Decimal]) -> list[Decimal]:
    """The 部分 (partial) share of a split point: 60 % of each value, to 0.1 kWh."""
    return [(v * Decimal("0.6")).quantize(TENTH) for v in values]


def w5_point(out: XmlOut, sc: Scenario, p: Point, split_code: str, days: list[date], extra=()) -> None:
    """One JPMR00010 of a W5 file: the point header and its days and slots (bp-xml.md §7.1)."""
    out.w("<JPMR00010>")
    out.el("JP06400", p.id)
    out.el("JP06119", p.customer_id)
    out.el("JP06120", p.name)
    out.el("JP06402", p.address)
    out.el("JP06403", "高圧" if p.voltage == "high" else "低圧")
    out.el("JP06404", split_code)
    out.el("JP06405", "0" if p.provided else "1")
    if not p.provided:  # 否: everything after JP06405 omitted (R6)
        out.w("</JPMR00010>\n")
        return
    series = {d: sc.confirmed[(p.id, d)] for d in days}
    values = {d: [v for s, v in enumerate(vs, start=1) if (p.id, d, s) not in sc.missing] for d, vs in series.items()}
    split = {d: _split_values(v) for d, v in values.items()} if split_code == "2" else {}
    total = sum((sum(v) for v in values.values()), Decimal(0))
    out.el("JP06407", "1" if p.voltage == "low" else "2")
    out.el("JP06426", total if p.monthly_kwh is None else p.monthly_kwh)
    out.el("JP06427", sum((sum(v) for v in split.values()), Decimal(0)) if split else None)
    if p.voltage == "high":
        out.el("JP06406", 100 - int(p.id[-1]) % 5)
    if p.max_demand_kw is not None or p.voltage == "high":
        out.el("JP06445", p.max_demand_kw or max(max(v) for v in values.values()) * 2)
    out.el("JP06446", _ymd((sc.reading_date + timedelta(days=32)).replace(day=sc.reading_date.day)))
    for tag, value in extra:
        out.el(tag, value)
    if days:
        out.w("<JPM00013>\n")
        for d in days:
            out.w(f"<JPMR00013><JP06423>{_ymd(d)}</JP06423><JPM00014>")
            shares = iter(split.get(d, ()))
            for s, v in enumerate(series[d], start=1):
                if (p.id, d, s) in sc.missing:  # no record at all
                    continue
                kwh_split = f"<JP06425>{next(shares)}</JP06425>" if split else ""
                out.w(f"<JPMR00014><JP06219>{out.slot(s)}</JP06219><JP06424>{v}</JP06424>{kwh_split}</JPMR00014>")
            out.w("</JPM00014></JPMR00013>\n")
        out.w("</JPM00013>\n")
    out.w("</JPMR00010>\n")


def write_monthly_usage(path: Path, sc: Scenario, voltage: str, style: Style) -> Path:
    """月間確定使用量 (1210/1220): per point (and split code), every day and slot of the period."""
    kind = KINDS_BY_NAME[f"{voltage}_monthly_usage"]
    days = list(sc.days())

    def body(out: XmlOut) -> None:
        out.open_message(kind, sc.area, [("JP06401", sc.period_start.strftime("%Y%m"))])
        out.w("<JPM00010>\n")
        for p in sc.points:
            if p.voltage == voltage:
                w5_point(out, sc, p, "1", days)
                if p.split:
                    w5_point(out, sc, p, "2", days)
        out.w("</JPM00010>\n")
        out.close_message()

    return write_zip(path, style, body)


def write_cut_reading(path: Path, sc: Scenario, voltage: str, family: str, style: Style) -> Path:
    """計量器取替 (13xx) or 臨時検針他 (14xx) in the ASSUMED layout (bp-xml.md §7.2, placeholders JP990nn)."""
    kind = KINDS_BY_NAME[f"{voltage}_{family}"]
    p = next(pt for pt in sc.points if pt.voltage == voltage and pt.provided)
    cut = sc.period_start + timedelta(days=14)
    days = [d for d in sc.days() if d < cut]
    exchange = family == "meter_exchange"
    extra = [
        ("JP99001", _ymd(cut)), ("JP99002", "01" if exchange else "05"), ("JP99003", f"M{p.id[-8:]}"),
        ("JP99004", f"N{p.id[-8:]}" if exchange else None), ("JP99005", "12345.6"),
        ("JP99006", "0.0" if exchange else None),
    ]  # fmt: skip

    def body(out: XmlOut) -> None:
        out.open_message(kind, sc.area, [("JP06401", sc.period_start.strftime("%Y%m"))])
        out.w("<JPM00010>\n")
        w5_point(out, sc, p, "1", days, extra)
        out.w("</JPM00010>\n")
        out.close_message()

    return write_zip(path, style, body)


# ----------------------------------------------------------------------------- one area, all kinds


def preliminary_values(
    sc: Scenario, voltage: str, day: date, rng: random.Random, not_provided_slot: bool = False
) -> dict[str, list]:
    """速報値 close to the confirmed ones, so reconciliation has a few real differences to find.

    About 1 slot in 300 differs by ±0.1 kWh (within the default tolerance over a month); on the 5th day
    of the period the first point of each voltage misses slots 20 and 21 (``...``: no record at all); on the
    7th day, with ``not_provided_slot``, the TSO marks slot 30 of the second point of each voltage "not
    provided" (availability code 1).
    """
    out: dict[str, list] = {}
    ids = [p.id for p in sc.points if p.voltage == voltage]
    first, second = ids[0], (ids[1] if len(ids) > 1 and not_provided_slot else None)
    for p in sc.points:
        if p.voltage != voltage:
            continue
        vals: list = list(sc.confirmed[(p.id, day)])
        for s in range(48):
            if rng.random() < 1 / 300:
                vals[s] = max(Decimal(0), vals[s] + rng.choice((TENTH, -TENTH)))
        if p.id == first and day == sc.period_start + timedelta(days=4):
            vals[19] = vals[20] = ...
        if p.id == second and day == sc.period_start + timedelta(days=6):
            vals[29] = None
        out[p.id] = vals
    return out


def write_area(
    out_dir: Path,
    area: str,
    month: date,
    seed: int = 0,
    low_points: int = 4,
    high_points: int = 2,
    unprovided_point: bool = True,
    not_provided_slot: bool = False,
) -> list[Path]:
    """All ten message kinds for one area: the whole billing period of ``month``."""
    sc = build_scenario(area, month, seed, low_points, high_points, unprovided_point)
    style = area_style(area)
    rng = random.Random(f"{seed}-{area}-prelim")
    files: list[Path] = []
    last = sc.period_end
    for voltage in ("high", "low"):
        kind_daily = KINDS_BY_NAME[f"{voltage}_energy_daily"]
        for day in sc.days():
            values = preliminary_values(sc, voltage, day, rng, not_provided_slot)
            if day == sc.period_start + timedelta(days=9) and voltage == "low":
                # revision 00 carries a wrong value and a not-provided slot; revision 01 corrects one point
                first = sc.points[-1]
                wrong = {pid: list(v) for pid, v in values.items()}
                wrong[first.id][20] = Decimal("99.9")
                wrong[first.id][21] = None
                files.append(write_energy_daily(out_dir / bp_filename(kind_daily, day), sc, voltage, day, wrong, style))
                fixed = {first.id: list(sc.confirmed[(first.id, day)])}
                name = bp_filename(kind_daily, day, revision=1)
                files.append(write_energy_daily(out_dir / name, sc, voltage, day, fixed, style))
            else:
                files.append(
                    write_energy_daily(out_dir / bp_filename(kind_daily, day), sc, voltage, day, values, style)
                )
        kind_current = KINDS_BY_NAME[f"{voltage}_energy_current"]
        for slot in (1, 2):
            hhmm = f"{(slot - 1) * 30 // 60:02d}{(slot - 1) * 30 % 60:02d}"
            current = {p.id: sc.confirmed[(p.id, last)][slot - 1] for p in sc.points if p.voltage == voltage}
            name = bp_filename(kind_current, last, hhmm=hhmm)
            files.append(write_energy_current(out_dir / name, sc, voltage, last, slot, current, style))
        monthly = KINDS_BY_NAME[f"{voltage}_monthly_usage"]
        files.append(write_monthly_usage(out_dir / bp_filename(monthly, sc.reading_date), sc, voltage, style))
        for family in ("meter_exchange", "adhoc_reading"):
            kind = KINDS_BY_NAME[f"{voltage}_{family}"]
            cut = sc.period_start + timedelta(days=14)
            files.append(write_cut_reading(out_dir / bp_filename(kind, cut), sc, voltage, family, style))
    return files
