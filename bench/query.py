"""Query benchmark: the README's analyst queries on the views against native tables holding the same rows.

    .venv/bin/python bench/query.py                          # 3 nights × 500 points (quick)
    .venv/bin/python bench/query.py --nights 30 --points 10000  # ≈ 14 M thirty-minute values

It generates (once, cached in ``bench/out/query``) one low-voltage per-day file (低圧日毎30分電力量) per
night for ``--points`` supply points, then, in one run:

1. loads the nights one by one through the real ingest (``warehouse.ingest.ingest``: XSD validation,
   history Parquet, the stored current state, the catalog), timing each night: the nightly cost
   against the warehouse's size;
2. loads one more night into that warehouse and the same night into an empty one: the ratio says
   whether a night costs what the night weighs or what the warehouse weighs;
3. copies ``interval_usage`` and ``monthly_usage`` into native DuckDB tables (what a catalog of tables
   would have to rebuild every night) and times each README query on the views and on the tables,
   best of five each, side by side;
4. counts the Parquet files: the stored current state (bounded by area × day partitions) and the
   append-only history (one file per source file).

The machine is shared and noisy: only ratios measured in the same run mean something.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.kinds import KINDS_BY_NAME  # noqa: E402
from core.paths import WarehouseLayout  # noqa: E402
from parsers.bp_xml.filename import bp_filename  # noqa: E402
from sample_data.bp import Point, Scenario, Style, write_energy_daily  # noqa: E402
from warehouse.ingest import ingest, sources_for  # noqa: E402

FIRST = date(2024, 4, 1)
AREA = "03"
QUERIES = {
    "daily totals per area": "SELECT area_code, usage_date, data_class, sum(billable_kwh) AS kwh "
    "FROM interval_usage GROUP BY ALL ORDER BY ALL",
    "top 10 points of a week": "SELECT supply_point_id, sum(billable_kwh) AS kwh FROM interval_usage "
    "WHERE data_class = 'preliminary' AND usage_date BETWEEN DATE '{d0}' AND DATE '{d6}' "
    "GROUP BY ALL ORDER BY kwh DESC, supply_point_id LIMIT 10",
    "one point's day": "SELECT slot_start, kwh FROM interval_usage WHERE supply_point_id = '{point}' "
    "AND usage_date = DATE '{d0}' AND data_class = 'preliminary' ORDER BY slot",
    "monthly totals per area": "SELECT area_code, usage_date >= DATE '{d0}' AS late, sum(kwh) AS kwh, count(*) "
    "FROM interval_usage GROUP BY ALL ORDER BY ALL",
}


def night_file(folder: Path, day: date, points: int) -> Path:
    """One per-day file of ``points`` low-voltage points (cached)."""
    path = folder / AREA / bp_filename(KINDS_BY_NAME["low_energy_daily"], day)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(day.toordinal())
    pts = [Point(f"{AREA}{i:020d}", "low", f"C{i:08d}", "山田", "東京都", Decimal(1)) for i in range(points)]
    values = {p.id: [Decimal(rng.randint(0, 30)) / 10 for _ in range(48)] for p in pts}
    return write_energy_daily(path, Scenario(AREA, day, day, pts), "low", day, values, Style())


def load_night(path: Path, warehouse: Path) -> float:
    start = time.perf_counter()
    report = ingest(sources_for([path], AREA, "default"), WarehouseLayout(warehouse))
    if report.count("loaded") != 1:
        raise SystemExit(f"{path.name} did not load: {[f.message for f in report.files]}")
    return time.perf_counter() - start


def best_of_each(
    views: duckdb.DuckDBPyConnection, tables: duckdb.DuckDBPyConnection, sql: str, runs: int = 9
) -> tuple[float, float, bool]:
    """Best time of the query on the views and on the tables, runs interleaved (noise hits both alike)."""
    best = [float("inf"), float("inf")]
    results: list[list[tuple]] = [[], []]
    for _ in range(runs):
        for i, con in enumerate((views, tables)):
            start = time.perf_counter()
            results[i] = con.execute(sql).fetchall()
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0], best[1], results[0] == results[1]


def count_files(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.parquet")) if folder.exists() else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nights", type=int, default=3)
    ap.add_argument("--points", type=int, default=500)
    ap.add_argument("--extra", type=int, default=3, help="extra nights timed into the full and into empty warehouses")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "query")
    ap.add_argument("--queries-only", action="store_true", help="time the queries of the last run's warehouse again")
    args = ap.parse_args(argv)
    inputs = args.out / f"input-{args.points}"
    days = [FIRST + timedelta(days=i) for i in range(args.nights + args.extra)]
    start = time.perf_counter()
    files = [night_file(inputs, d, args.points) for d in days]
    print(
        f"input: {args.nights} + {args.extra} nights × {args.points:,} points "
        f"({time.perf_counter() - start:.0f} s to generate)"
    )

    work = args.out / f"wh-{args.nights}x{args.points}"
    warehouse, empty = work / "warehouse", work / "empty"
    if args.queries_only:
        return time_queries(work, warehouse, days, args)
    shutil.rmtree(work, ignore_errors=True)
    nights = [load_night(f, warehouse) for f in files[: args.nights]]
    print("nightly cost (s) by nights already held:", " ".join(f"{t:.2f}" for t in nights))
    extra = files[args.nights :]
    empties = [load_night(f, empty / str(i)) for i, f in enumerate(extra)]  # each into its own empty warehouse
    fulls = [load_night(f, warehouse) for f in extra]
    into_full, into_empty = min(fulls), min(empties)
    print(
        f"{len(extra)} more nights, best of each: into the {args.nights}-night warehouse {into_full:.2f} s, "
        f"into an empty one {into_empty:.2f} s: ratio {into_full / into_empty:.2f} (target ≤ 1.2)"
    )

    return time_queries(work, warehouse, days, args, into_full)


def time_queries(
    work: Path, warehouse: Path, days: list[date], args: argparse.Namespace, night: float | None = None
) -> int:
    layout = WarehouseLayout(warehouse)
    native = work / "native.duckdb"
    native.unlink(missing_ok=True)
    with duckdb.connect(str(native)) as con:
        con.execute(f"ATTACH '{layout.duckdb_file}' AS wh (READ_ONLY)")
        t0 = time.perf_counter()
        con.execute("CREATE TABLE interval_usage AS SELECT * FROM wh.interval_usage")
        con.execute("CREATE TABLE monthly_usage AS SELECT * FROM wh.monthly_usage")
        con.execute("CHECKPOINT")
        rebuild = time.perf_counter() - t0
        [(rows,)] = con.execute("SELECT count(*) FROM interval_usage").fetchall()
    print(
        f"{rows:,} interval rows; copying them into native tables (what a catalog of tables rebuilds every "
        f"night) took {rebuild:.2f} s" + (f", against {night:.2f} s for a whole night's load" if night else "")
    )
    params = {"d0": days[0], "d6": days[min(6, len(days) - 1)], "point": f"{AREA}{7:020d}"}
    print(f"rows per day partition: {args.points * 48:,}")
    print(f"{'query':<26} {'views ms':>9} {'native ms':>9} {'ratio':>6}")
    worst = 0.0
    with (
        duckdb.connect(str(layout.duckdb_file), read_only=True) as views,
        duckdb.connect(str(native), read_only=True) as tables,
    ):
        for title, sql in QUERIES.items():
            sql = sql.format(**params)
            v, n, same = best_of_each(views, tables, sql)
            if not same:
                raise SystemExit(f"{title}: views and native tables disagree")
            worst = max(worst, v / n)
            print(f"{title:<26} {v * 1000:>9.1f} {n * 1000:>9.1f} {v / n:>6.2f}")
    current = count_files(layout.datasets / "current")
    history = count_files(layout.datasets / "interval_preliminary")
    print(f"worst ratio views / native: {worst:.2f} (target ≤ 2)")
    print(
        f"files: current state {current} for {args.nights + args.extra} day partitions (≤ 2 per partition); "
        f"history {history} (one per source file)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
