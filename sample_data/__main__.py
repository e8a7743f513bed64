"""``python -m sample_data``: write a sample set (BP ZIPs per area, the three CSV forms, a contract register
and an invoice detail per area)."""

from __future__ import annotations

import argparse
import shutil
from datetime import date
from pathlib import Path

from sample_data.bp import write_area
from sample_data.csv_forms import write_csv_forms
from sample_data.ids import AREA_CODES

SAMPLE_MONTH = "2025-10"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sample_data", description=__doc__)
    ap.add_argument("--out", type=Path, default=Path("sample_data/small"), help="output folder (replaced)")
    ap.add_argument("--areas", default=",".join(AREA_CODES), help="comma-separated area codes")
    ap.add_argument("--month", default=SAMPLE_MONTH, help="billing month YYYY-MM (the shipped rates cover 2025-10 on)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--low-points", type=int, default=4, help="low-voltage supply points per area")
    ap.add_argument("--high-points", type=int, default=2, help="high-voltage supply points per area")
    args = ap.parse_args(argv)
    month = date.fromisoformat(args.month + "-01")
    areas = [a.strip() for a in args.areas.split(",") if a.strip()]
    if args.out.exists():
        shutil.rmtree(args.out)
    n = 0
    for area in areas:
        # every point billable (its monthly usage provided), one slot marked "not provided" by the TSO
        files = write_area(
            args.out / "bp" / area, area, month, args.seed, args.low_points, args.high_points, False, True
        )
        n += len(files)
    # The CSV forms vary their layout by an area's position in the list, so write them together, then
    # file each under its area like the BP files (names end in _<area>_<YYYYMM>.csv).
    for path in write_csv_forms(
        args.out / "csv", areas=areas, billing_month=month, seed=args.seed, points_per_area=args.high_points
    ):
        area_dir = path.parent / path.stem.split("_")[-2]
        area_dir.mkdir(exist_ok=True)
        path.rename(area_dir / path.name)
        n += 1
    # The retailer's contract register and the TSOs' invoice detail, priced with the shipped rates and the
    # sample's example rates (sample_data/tariffs/example_rates.csv, demo only).
    from reconcile.tariff import load_tariffs
    from sample_data.billing import EXAMPLE_RATES, write_billing_files

    tariffs = load_tariffs(EXAMPLE_RATES)
    n += len(
        write_billing_files(args.out / "billing", areas, month, args.seed, args.low_points, args.high_points, tariffs)
    )
    print(f"wrote {n} files for {len(areas)} areas into {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
