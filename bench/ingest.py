"""Ingest benchmark: takuso against a naive lxml ``iterparse`` baseline measured in the same run.

    .venv/bin/python bench/ingest.py                 # 50,000 low-voltage points (about 5 M values)
    .venv/bin/python bench/ingest.py --points 5000   # quicker

It generates (once, cached in ``bench/out``) a low-voltage per-day file (低圧日毎30分電力量) and a
low-voltage monthly confirmed-usage file (低圧月間確定使用量) with about the same number of 30-minute
values, zipped as served, then times in one run:

(a) the baseline: one process, ``lxml.etree.iterparse`` over both files, supply point / slot / value
    into Python lists, no validation, nothing written;
(b) ``takuso ingest`` of the same files into a fresh warehouse (validating with the XSD in the same
    pass, writing Parquet and the DuckDB catalog), as a separate process;
(c) ``takuso ingest`` again (every file already loaded).

It prints ratios, not absolute targets: the machine is shared and noisy, so only numbers measured
side by side mean something. Peak RSS is sampled from ``/proc`` every 0.1 s: the largest single process
of (b) (a worker or the parent), and the whole process tree at its peak.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.kinds import KINDS_BY_NAME  # noqa: E402
from parsers.bp_xml.filename import bp_filename  # noqa: E402
from sample_data.bp import Point, Scenario, Style, write_energy_daily, write_monthly_usage  # noqa: E402

DAY = date(2024, 4, 15)
MONTH = date(2024, 4, 1)


def _points(n: int, area: str = "03") -> list[Point]:
    return [Point(f"{area}{i:020d}", "low", f"C{i:08d}", "山田 太郎", "東京都千代田区", Decimal(1)) for i in range(n)]


def make_daily(out: Path, n_points: int) -> Path:
    path = out / bp_filename(KINDS_BY_NAME["low_energy_daily"], DAY)
    if path.exists():
        return path
    rng = random.Random(1)
    pts = _points(n_points)
    sc = Scenario("03", DAY, DAY, pts)
    values = {p.id: [Decimal(rng.randint(0, 30)) / 10 for _ in range(48)] for p in pts}
    return write_energy_daily(path, sc, "low", DAY, values, Style())


def make_monthly(out: Path, n_points: int) -> Path:
    path = out / bp_filename(KINDS_BY_NAME["low_monthly_usage"], date(2024, 5, 1))
    if path.exists():
        return path
    rng = random.Random(2)
    pts = _points(n_points, "03")
    sc = Scenario("03", MONTH, date(2024, 4, 30), pts)
    for p in pts:
        for d in sc.days():
            sc.confirmed[(p.id, d)] = [Decimal(rng.randint(0, 30)) / 10 for _ in range(48)]
    return write_monthly_usage(path, sc, "low", Style())


def naive_baseline(paths: list[Path]) -> int:
    """What a first script would do: iterparse every element, keep point, slot and value in lists."""
    points: list[str] = []
    slots: list[str] = []
    values: list[str] = []
    for path in paths:
        with zipfile.ZipFile(path) as zf, zf.open(zf.infolist()[0]) as fh:
            point = slot = None
            for _, el in etree.iterparse(fh, events=("end",)):
                tag = el.tag
                if tag == "JP06400":
                    point = el.text
                elif tag == "JP06219":
                    slot = el.text
                elif tag in ("JP06125", "JP06424"):
                    points.append(point or "")
                    slots.append(slot or "")
                    values.append(el.text or "")
                elif tag.startswith("JPMR"):
                    el.clear()
    return len(values)


class TreeRss:
    """Samples the resident memory of a process and all its descendants (Linux ``/proc``) every 0.1 s."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_single = 0  # the largest single process, bytes
        self.peak_total = 0  # the whole tree at one moment, bytes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> dict[int, int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", "rb") as fh:
                        parents[int(entry)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
        tree, grew = {self.pid}, True
        while grew:
            new = {p for p, pp in parents.items() if pp in tree and p not in tree}
            tree |= new
            grew = bool(new)
        rss = {}
        page = os.sysconf("SC_PAGE_SIZE")
        for p in tree:
            try:
                with open(f"/proc/{p}/statm") as fh:
                    rss[p] = int(fh.read().split()[1]) * page
            except (OSError, IndexError, ValueError):
                continue
        return rss

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = self._tree()
            if rss:
                self.peak_single = max(self.peak_single, max(rss.values()))
                self.peak_total = max(self.peak_total, sum(rss.values()))
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_ingest(paths: list[Path], warehouse: Path) -> tuple[float, dict]:
    cmd = [str(ROOT / ".venv/bin/takuso"), "ingest", "--warehouse", str(warehouse), "--area", "03", *map(str, paths)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeRss(proc.pid)
    out, err = proc.communicate()
    elapsed = time.perf_counter() - t0
    sampler.stop()
    if proc.returncode != 0:
        print(out[-3000:], err[-3000:])
        raise SystemExit(f"takuso ingest failed with {proc.returncode}")
    return elapsed, {"peak_rss_mb": sampler.peak_single / 2**20, "peak_tree_rss_mb": sampler.peak_total / 2**20}


def parquet_bytes(warehouse: Path) -> int:
    return sum(p.stat().st_size for p in (warehouse / "parquet").rglob("*.parquet") if "interval" in str(p))


def count_values(warehouse: Path) -> int:
    import duckdb

    with duckdb.connect(str(warehouse / "takuso.duckdb"), read_only=True) as con:
        return con.execute("SELECT count(*) FROM interval_usage_history").fetchone()[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=50_000, help="supply points in the per-day file")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args()
    out = args.out / f"p{args.points}"
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    daily = make_daily(out, args.points)
    monthly = make_monthly(out, max(1, args.points // 30))  # 30 days x 48 slots per point: about as many values
    files = [daily, monthly]
    xml_bytes = sum(zipfile.ZipFile(f).infolist()[0].file_size for f in files)
    print(f"files ready in {time.perf_counter() - t:.1f} s: {', '.join(f.name for f in files)}")
    print(f"uncompressed XML: {xml_bytes / 1e6:.0f} MB; zipped {sum(f.stat().st_size for f in files) / 1e6:.1f} MB")

    t = time.perf_counter()
    records = naive_baseline(files)
    base_s = time.perf_counter() - t
    print(f"(a) naive iterparse: {records:,} values in {base_s:.1f} s = {records / base_s / 1e6:.3f} M values/s")

    warehouse = out / "warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    first_s, stats = run_ingest(files, warehouse)
    loaded = count_values(warehouse)
    print(f"(b) takuso ingest:   {loaded:,} values in {first_s:.1f} s = {loaded / first_s / 1e6:.3f} M values/s")
    again_s, _ = run_ingest(files, warehouse)
    print(f"(c) re-ingest:       {again_s:.2f} s")

    figures = {
        "values": loaded,
        "xml_mb": round(xml_bytes / 1e6, 1),
        "throughput_ratio_b_over_a": round((loaded / first_s) / (records / base_s), 2),
        "peak_rss_mb": round(stats["peak_rss_mb"], 1),
        "peak_rss_all_processes_mb": round(stats["peak_tree_rss_mb"], 1),
        "parquet_bytes_per_value": round(parquet_bytes(warehouse) / loaded, 3),
        "reingest_over_first": round(again_s / first_s, 3),
        "cores": os.cpu_count(),
    }
    print("\nfigures (targets on a 2-core machine: ratio >= 2.0, RSS <= 400 MB and flat, <= 2 bytes/value, "
          "re-ingest <= 5 %):")  # fmt: skip
    for k, v in figures.items():
        print(f"  {k:28} {v}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
