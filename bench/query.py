"""Query benchmark: the README's analyst queries on the views against native tables holding the same rows.

    .venv/bin/python bench/query.py                          # 3 nights × 500 points (quick)
    .venv/bin/python bench/query.py --nights 30 --points 10000  # ≈ 15 M preliminary + 15 M confirmed values

It generates (once, cached in ``bench/out/query``) one low-voltage per-day file (低圧日毎30分電力量) per
night for ``--points`` supply points from 2025-10-08 (the README's dates), and one 月間確定使用量 file of
October 2025 for the same points (every tenth point split into 全量 and 部分 records), then, in one run:

1. loads the nights one by one through the real ingest (``warehouse.ingest.ingest``: XSD validation,
   history Parquet, the stored current state, the catalog with the reconciliation's views), timing each
   night: the nightly cost against the warehouse's size; then the month's confirmed usage;
2. loads more nights (the days after everything loaded, as the next nights would be) into that warehouse
   and the same nights into empty ones: the ratio says whether a night costs what the night weighs or
   what the warehouse weighs;
3. copies every view the README's queries read into native DuckDB tables (what a catalog of tables would
   have to rebuild every night) and times every SQL statement of the README on the views and on the
   tables, best of nine each, interleaved, side by side, checking that both give the same rows;
4. counts the Parquet files: the stored current state (bounded by area × day partitions) and the
   append-only history (one file per source file).

The machine is shared and noisy: only ratios measured in the same run mean something.
"""

from __future__ import annotations

import argparse
import random
import re
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
from reconcile.checks import catalog_views  # noqa: E402
from sample_data.bp import Point, Scenario, Style, write_energy_daily, write_monthly_usage  # noqa: E402
from warehouse.ingest import ingest  # noqa: E402
from warehouse.runs import sources_for  # noqa: E402

README = ROOT / "README.md"
FIRST = date(2025, 10, 8)  # the README's examples name the week 2025-10-08 … 14 and the day 2025-10-10
MONTH = date(2025, 10, 1)  # the confirmed month
AREA = "03"
VIEW_NAMES = ("interval_usage", "monthly_usage", "interval_usage_history", "reconciliation_monthly", "ingested_files")


def readme_queries() -> dict[str, str]:
    """Every statement of every ```sql block of the README, keyed by the comment line above it."""
    queries: dict[str, str] = {}
    for block in re.findall(r"```sql\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        for statement in block.split(";"):
            lines = [line for line in statement.strip().splitlines() if line.strip()]
            if not lines:
                continue
            title = lines[0].removeprefix("--").strip() if lines[0].startswith("--") else lines[0]
            queries[title] = "\n".join(lines)
    return queries


def points(count: int) -> list[Point]:
    """Low-voltage points ``030000…0000`` …; every tenth one also has a 部分 (split code 2) record."""
    return [
        Point(f"{AREA}{i:020d}", "low", f"C{i:08d}", "山田", "東京都", Decimal(1), split=i % 10 == 1)
        for i in range(count)
    ]


def night_file(folder: Path, day: date, count: int) -> Path:
    """One per-day file of ``count`` low-voltage points (cached)."""
    path = folder / AREA / bp_filename(KINDS_BY_NAME["low_energy_daily"], day)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(day.toordinal())
    pts = points(count)
    values = {p.id: [Decimal(rng.randint(0, 30)) / 10 for _ in range(48)] for p in pts}
    return write_energy_daily(path, Scenario(AREA, day, day, pts), "low", day, values, Style())


class _Confirmed(dict[tuple[str, date], list[Decimal]]):
    """A point's confirmed values of a day, made when asked and never kept: a month of 10,000 points
    would not fit in memory as Decimal objects."""

    def __missing__(self, key: tuple[str, date]) -> list[Decimal]:
        rng = random.Random(f"{key[0]}{key[1]}")
        return [Decimal(rng.randint(0, 30)) / 10 for _ in range(48)]


def month_file(folder: Path, count: int) -> Path:
    """The 月間確定使用量 of October 2025 for the same points (cached)."""
    end = date(2025, 10, 31)
    path = folder / AREA / bp_filename(KINDS_BY_NAME["low_monthly_usage"], end + timedelta(days=1))
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    sc = Scenario(AREA, MONTH, end, points(count), _Confirmed())
    return write_monthly_usage(path, sc, "low", Style())


def load(path: Path, warehouse: Path) -> float:
    start = time.perf_counter()
    report = ingest(sources_for([path], AREA, "default"), WarehouseLayout(warehouse), extra_views=[catalog_views()])
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
    return best[0], best[1], sorted(map(repr, results[0])) == sorted(map(repr, results[1]))  # some have no ORDER BY


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
    days = [FIRST + timedelta(days=i) for i in range(args.nights)]
    # the extra nights come after everything loaded, the confirmed month included: a next night, new days
    after = max(FIRST + timedelta(days=args.nights), date(2025, 11, 1))
    days += [after + timedelta(days=i) for i in range(args.extra)]
    start = time.perf_counter()
    files = [night_file(inputs, d, args.points) for d in days]
    month = month_file(inputs, args.points)
    print(
        f"input: {args.nights} + {args.extra} nights × {args.points:,} points and their confirmed October "
        f"({time.perf_counter() - start:.0f} s to generate)"
    )

    work = args.out / f"wh-{args.nights}x{args.points}"
    warehouse, empty = work / "warehouse", work / "empty"
    if args.queries_only:
        return time_queries(work, warehouse, days, args)
    shutil.rmtree(work, ignore_errors=True)
    nights = [load(f, warehouse) for f in files[: args.nights]]
    print("nightly cost (s) by nights already held:", " ".join(f"{t:.2f}" for t in nights))
    print(f"the month's confirmed usage ({args.points * 31 * 48:,} values): {load(month, warehouse):.2f} s")
    extra = files[args.nights :]
    empties = [load(f, empty / str(i)) for i, f in enumerate(extra)]  # each into its own empty warehouse
    fulls = [load(f, warehouse) for f in extra]
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
        for view in VIEW_NAMES:
            con.execute(f"CREATE TABLE {view} AS SELECT * FROM wh.{view}")
        con.execute("CHECKPOINT")
        rebuild = time.perf_counter() - t0
        [(rows,)] = con.execute("SELECT count(*) FROM interval_usage").fetchall()
    print(
        f"{rows:,} interval_usage rows; copying the views into native tables (what a catalog of tables rebuilds "
        f"every night) took {rebuild:.2f} s" + (f", against {night:.2f} s for a whole night's load" if night else "")
    )
    print(f"{'README query':<52} {'rows':>7} {'views ms':>9} {'native ms':>9} {'ratio':>6}")
    worst = 0.0
    with (
        duckdb.connect(str(layout.duckdb_file), read_only=True) as views,
        duckdb.connect(str(native), read_only=True) as tables,
    ):
        for title, sql in readme_queries().items():
            v, n, same = best_of_each(views, tables, sql)
            if not same:
                raise SystemExit(f"{title}: views and native tables disagree")
            worst = max(worst, v / n)
            count = len(views.execute(sql).fetchall())
            print(f"{title[:52]:<52} {count:>7,} {v * 1000:>9.1f} {n * 1000:>9.1f} {v / n:>6.2f}")
    current = count_files(layout.datasets / "current")
    history = count_files(layout.datasets / "interval_preliminary") + count_files(
        layout.datasets / "interval_confirmed"
    )
    months = len({d.replace(day=1) for d in days} | {MONTH})
    print(f"worst ratio views / native: {worst:.2f} (target ≤ 2)")
    print(
        f"files: current state {current} for {len(set(days) | set(_october()))} day and {months} month partitions "
        "(at most two versions of a partition's shown and outranked files); "
        f"30-minute history {history} (one per source file)"
    )
    return 0


def _october() -> list[date]:
    return [MONTH + timedelta(days=i) for i in range(31)]


if __name__ == "__main__":
    sys.exit(main())
