"""Small warehouses for the reconciliation tests, built the way production builds them.

The files are written by the sample generator's own writers: 30分電力量 per day (W4) and 月間確定使用量
(W5) by ``sample_data.bp``, Form 2 and Form 3 by ``sample_data.csv_forms``. :func:`load` ingests them
with ``warehouse.ingest`` (nothing may be rejected), so the tests read the catalog's real views, with the
warehouse's own columns and types.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from core.kinds import KINDS_BY_NAME
from core.paths import WarehouseLayout
from parsers.bp_xml.filename import bp_filename
from sample_data.bp import Point, Scenario, Style, write_energy_daily, write_monthly_usage
from sample_data.csv_forms import (
    CurtailmentRow,
    DemandBreakdownRow,
    FileVariant,
    file_name,
    render_curtailments,
    render_demand_breakdown,
)
from warehouse.ingest import ingest
from warehouse.runs import sources_for

AREA = "01"
STYLE = Style()
DETERMINATION_JA = {"actual": "実量", "negotiated": "協議"}


def point(
    point_id: str,
    voltage: str = "low",
    *,
    split: bool = False,
    provided: bool = True,
    monthly_kwh: Decimal | None = None,
    max_demand_kw: Decimal | None = None,
) -> Point:
    """A supply point with a made-up customer; the TSO's monthly total and maximum demand can be set."""
    n = int(point_id[-4:])
    customer = (f"C{n:06d}", f"需要家{n}", "札幌市中央区北1条西2丁目")
    return Point(point_id, voltage, *customer, Decimal(1), split, provided, monthly_kwh, max_demand_kw)


def period_days(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


@dataclass
class Files:
    """The input files of one small warehouse of one area, written as they are added."""

    folder: Path
    area: str = AREA
    paths: list[Path] = field(default_factory=list)

    def monthly(
        self,
        month: date,
        points: Sequence[Point],
        confirmed: Mapping[tuple[str, date], list[Decimal]],
        *,
        reading_date: date | None = None,
        missing: Iterable[tuple[str, date, int]] = (),
    ) -> None:
        """月間確定使用量 of ``month`` (one file per voltage): every day of the period of each provided point.

        The period runs from the first of the month to the day before ``reading_date`` (default: the day
        after the month ends); ``missing`` (point, day, slot) are left out of the file.
        """
        end = (reading_date or month_end(month) + timedelta(days=1)) - timedelta(days=1)
        sc = Scenario(self.area, month, end, list(points), dict(confirmed), set(missing))
        for voltage in sorted({p.voltage for p in points}):
            kind = KINDS_BY_NAME[f"{voltage}_monthly_usage"]
            path = self.folder / self.area / bp_filename(kind, sc.reading_date)
            self.paths.append(write_monthly_usage(path, sc, voltage, STYLE))

    def daily(self, day: date, points: Sequence[Point], values: Mapping[str, Sequence[Decimal | None]]) -> None:
        """日毎30分電力量 (速報値) of ``day``: 48 values for each point in ``values`` (None: not provided)."""
        sc = Scenario(self.area, day, day, list(points))
        for voltage in sorted({p.voltage for p in points}):
            kind = KINDS_BY_NAME[f"{voltage}_energy_daily"]
            path = self.folder / self.area / bp_filename(kind, day)
            self.paths.append(write_energy_daily(path, sc, voltage, day, values, STYLE))

    def form2(self, billing_month: date, rows: Sequence[DemandBreakdownRow]) -> None:
        """契約電力算定結果内訳 (Form 2) of ``billing_month``, one row per look-back month."""
        data = render_demand_breakdown(rows, FileVariant(), area=self.area, billing_month=billing_month)
        self._write(file_name("contract_demand_breakdown", self.area, billing_month), data)

    def form3(self, billing_month: date, rows: Sequence[CurtailmentRow]) -> None:
        """制限中止割引時間 (Form 3) of ``billing_month``; the reader derives the rate from the days."""
        variant = FileVariant(header_variant=1)
        data = render_curtailments(rows, variant, area=self.area, billing_month=billing_month)
        self._write(file_name("curtailment_discounts", self.area, billing_month), data)

    def _write(self, name: str, data: bytes) -> None:
        path = self.folder / self.area / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.paths.append(path)

    def load(self, warehouse: Path) -> WarehouseLayout:
        """Ingest every file into a new warehouse at ``warehouse``; every file must load."""
        layout = WarehouseLayout(warehouse)
        report = ingest(sources_for(self.paths, self.area, "default"), layout, workers=1)
        rejected = [(f.file_name, f.message) for f in report.files if f.status != "loaded"]
        assert not rejected, rejected
        return layout


def form2_row(
    point_id: str, billing_month: date, lookback: date, max_kw: str, contract: str, kind: str = "actual"
) -> DemandBreakdownRow:
    """One look-back month of Form 2 (no corrected demand, no previous contract, no menu)."""
    return DemandBreakdownRow(
        point_id, billing_month, lookback, Decimal(max_kw), None, Decimal(contract), DETERMINATION_JA[kind], None, ""
    )


def curtailment_row(point_id: str, billing_month: date, days: int) -> CurtailmentRow:
    """One Form 3 row: ``days`` curtailed days at the start of the month."""
    start = billing_month
    end = start + timedelta(days=days - 1)
    return CurtailmentRow(
        point_id, billing_month, start, end, "01", Decimal(days * 8), days, Decimal(0), Decimal(-1), "",
        datetime.combine(start, datetime.min.time()), datetime.combine(end, datetime.max.time()).replace(microsecond=0),
    )  # fmt: skip


def demo_files(folder: Path, month: date, seed: int = 7) -> Files:
    """A small, deterministic month of data for areas 01, 03 and 05 with a few planted problems.

    Point ``…0003`` (area 01) loses a confirmed day and its monthly total is 12 kWh too high (RC01, RC03);
    point ``…0004`` has no preliminary values on the 10th (RC04, GP02); point ``…0002`` has a Form 2 contract kW
    3 kW above its maximum demand (CD01); areas 03 and 05 have no tariff for 2024 (not computed).
    Returns the files of every area (``Files.load`` ingests them all).
    """
    rng = random.Random(seed)
    days = period_days(month, month_end(month))
    everything = Files(folder)
    for area in ("01", "03", "05"):
        files = Files(folder, area)
        points = [point(f"{area}{'0' * 16}{n:04d}") for n in range(1, 5)]
        confirmed: dict[tuple[str, date], list[Decimal]] = {}
        preliminary: dict[date, dict[str, Sequence[Decimal | None]]] = {d: {} for d in days}
        missing: set[tuple[str, date, int]] = set()
        demand = []
        for n, p in enumerate(points, start=1):
            for d in days:
                shape = [Decimal(rng.randint(80, 400)) / 1000 for _ in range(48)]
                confirmed[(p.id, d)] = shape
                if area == "01" and n == 3 and d.day == 15:  # confirmed day lost: the preliminary values remain
                    missing |= {(p.id, d, s) for s in range(1, 49)}
                if not (area == "01" and n == 4 and d.day == 10):
                    preliminary[d][p.id] = shape
            kept = [v for d in days for s, v in enumerate(confirmed[(p.id, d)], 1) if (p.id, d, s) not in missing]
            if area == "01" and n == 3:
                p.monthly_kwh = sum((v for d in days for v in confirmed[(p.id, d)]), Decimal(12))
            peak = max(kept) * 2
            p.max_demand_kw = peak
            contract = peak.quantize(Decimal(1), rounding=ROUND_HALF_UP) + (3 if n == 2 else 0)
            demand.append(form2_row(p.id, month, month, str(peak), str(contract)))
        files.monthly(month, points, confirmed, missing=missing)
        for d in days:
            files.daily(d, points, preliminary[d])
        files.form2(month, demand)
        everything.paths += files.paths
    everything.area = ""  # each file's area comes from its folder
    return everything
