"""Ingest benchmark on the file shapes TSOs serve: takuso against a naive lxml parser, in the same run.

    .venv/bin/python bench/ingest.py            # the four shapes, about 2 M thirty-minute values each
    .venv/bin/python bench/ingest.py --quick    # the same shapes, small (a smoke run)
    .venv/bin/python bench/ingest.py --shape per_day_low --json out.json
    .venv/bin/python bench/ingest.py --shape per_day_low --dask   # also Dask against the local pool

Shapes (files generated once, zipped as served, cached in ``bench/out``):

* ``per_day_low``   低圧日毎30分電力量: 4 files × 10,000 points × 48 slots, every point record with
  JP06400, JP06119, a name in JP06120, JP06122 and JP06125 (UTF-8);
* ``current_low``   低圧30分電力量 (current day): one slot per file, 48 files × 10,000 points;
* ``per_day_high``  特高・高圧日毎30分電力量: 8 files × 2,500 points × 48 slots (JP06123);
* ``monthly_low``   低圧月間確定使用量: 2 files × 350 points × 30 days × 48 slots.

For each shape, in one run:

(a) the naive baseline: one process, ``lxml.etree.iterparse`` over each ZIP entry on ``end`` events of
    the value record and its context element (slot, day), a dict of each record's children, ``clear()``
    and deleting earlier siblings; no validation, nothing stored;
(b) ``takuso ingest`` of all the shape's files into an empty warehouse, as a separate process (both
    cores): wall time, CPU time of its process tree (user + sys), peak RSS of the tree (sampled), and
    the wall time of its phases as it prints them (start-up is the rest): the files side by side, then
    the current state and the catalog;
(c) ``takuso ingest`` again (every file already loaded): wall and CPU time;
(c') start-up: the CPU time of a child process that only imports what a loading ``takuso ingest`` imports
     (the CLI, the parsers, DuckDB, the catalog and reconciliation views, pandas through pyarrow) -- the
     part of (b) that (e) does not count;
(d) the floor: lxml's own parse of one file's XML into a tree plus XSD validation of that tree (best of three);
(e) where the CPU goes: the same ingest once more in this process on one thread, the CPU time of
    each stage's functions summed (its imports done before: (b) is about (c') + (e) + what running on
    several threads adds).

Only ratios measured side by side mean something (the machine is shared); CPU time is steadier than
wall time. Parquet bytes are the 30-minute history and current-state files, each inode counted once (a
day's current file hard-linked to its history file is one copy on disk). Targets on a 2-core machine:
ratio >= 2.0, peak RSS <= 600 MB, <= 2 bytes of Parquet per value, re-ingest <= 5 % of the first run,
CPU per value <= 1.5x the floor on the per-day shape.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.kinds import KINDS_BY_NAME  # noqa: E402
from core.memory import prefer_jemalloc  # noqa: E402
from parsers.bp_xml.filename import bp_filename  # noqa: E402
from sample_data.bp import zip_writer  # noqa: E402

prefer_jemalloc()  # (e) runs the ingest in this process: Arrow's pool as in (b), before pyarrow is imported
PACKAGES = ("core", "parsers", "warehouse", "reconcile", "flows", "takuso", "tso")

DAY = date(2024, 4, 15)
MONTH = date(2024, 4, 1)
NAME = "山田 太郎"
ADDRESS = "東京都千代田区丸の内一丁目1番1号"


@dataclass(frozen=True)
class Shape:
    """One file shape: how many files of how many points, and how the naive parser walks them."""

    name: str
    kind: str
    title: str
    files: int
    points: int
    write: Callable[[Path, int, int], Path]  # (folder, file number, points) -> file
    record_tag: str  # the element holding one value (or a point's values)
    context_tags: tuple[str, ...]  # elements read for the records' context (slot, day)
    values_per_point: int

    def scaled(self, files: int, points: int) -> Shape:
        return Shape(**{**self.__dict__, "files": files, "points": points})


# ------------------------------------------------------------------------------------------ file writers


def _header(kind_name: str, extra: str) -> bytes:
    kind = KINDS_BY_NAME[kind_name]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<SBD-MSG>\n<JPMGRP>\n<JPMGH><JPC03>0</JPC03><JPC06>10063</JPC06>'
        f"<JPC14>{kind.info_kind_code}</JPC14></JPMGH>\n<JPTRM>\n<JP00002>{kind.info_kind_code}</JP00002>"
        f"<JP06110>10063</JP06110><JP06112>99993</JP06112>{extra}\n<JPM00010>\n"
    ).encode()


_FOOTER = b"</JPM00010>\n</JPTRM>\n</JPMGRP>\n</SBD-MSG>\n"


def _zip(path: Path, body: Callable[[Callable[[bytes], None]], None]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    zf, raw = zip_writer(tmp, path.with_suffix(".xml").name)
    with zf, raw:
        body(raw.write)  # type: ignore[arg-type]
    tmp.rename(path)
    return path


def _point(i: int, rng: random.Random, value_tag: str) -> str:
    return (
        f"<JPMR00011><JP06400>03{i:020d}</JP06400><JP06119>C{i:08d}</JP06119><JP06120>{NAME}</JP06120>"
        f"<JP06122>0</JP06122><{value_tag}>{rng.randint(0, 30) / 10}</{value_tag}></JPMR00011>\n"
    )


def write_per_day(voltage: str) -> Callable[[Path, int, int], Path]:
    kind = f"{voltage}_energy_daily"
    tag = "JP06125" if voltage == "low" else "JP06123"

    def write(folder: Path, n: int, points: int) -> Path:
        day = DAY + timedelta(days=n)
        rng = random.Random(n)

        def body(w: Callable[[bytes], None]) -> None:
            w(_header(kind, f"<JP06116>{day:%Y%m%d}</JP06116>"))
            for slot in range(1, 49):
                rows = "".join(_point(i, rng, tag) for i in range(points))
                w(f"<JPMR00010><JP06219>{slot}</JP06219><JPM00011>\n{rows}</JPM00011></JPMR00010>\n".encode())
            w(_FOOTER)

        return _zip(folder / bp_filename(KINDS_BY_NAME[kind], day), body)

    return write


def write_current(folder: Path, n: int, points: int) -> Path:
    slot = n % 48 + 1
    day = DAY + timedelta(days=n // 48)
    hhmm = f"{(slot - 1) // 2:02d}{(slot - 1) % 2 * 30:02d}"
    rng = random.Random(n)

    def body(w: Callable[[bytes], None]) -> None:
        w(_header("low_energy_current", f"<JP06116>{day:%Y%m%d}</JP06116><JP06219>{slot}</JP06219>"))
        rows = "".join(_point(i, rng, "JP06125") for i in range(points))
        w(rows.replace("JPMR00011", "JPMR00010").encode())
        w(_FOOTER)

    return _zip(folder / bp_filename(KINDS_BY_NAME["low_energy_current"], day, hhmm=hhmm), body)


def write_monthly(folder: Path, n: int, points: int) -> Path:
    rng = random.Random(n)
    days = [MONTH + timedelta(days=d) for d in range(30)]
    first = n * points  # files of different points

    def body(w: Callable[[bytes], None]) -> None:
        w(_header("low_monthly_usage", f"<JP06401>{MONTH:%Y%m}</JP06401>"))
        for i in range(first, first + points):
            tenths = [[rng.randint(0, 30) for _ in range(48)] for _ in days]
            total = sum(map(sum, tenths))
            out = [
                f"<JPMR00010><JP06400>03{i:020d}</JP06400><JP06119>C{i:08d}</JP06119><JP06120>{NAME}</JP06120>"
                f"<JP06402>{ADDRESS}</JP06402><JP06403>低圧</JP06403><JP06404>1</JP06404><JP06405>0</JP06405>"
                f"<JP06407>1</JP06407><JP06426>{total // 10}.{total % 10}</JP06426><JP06446>20240601</JP06446>"
                "<JPM00013>\n"
            ]
            for d, vals in zip(days, tenths, strict=True):
                slots = "".join(
                    f"<JPMR00014><JP06219>{s}</JP06219><JP06424>{v / 10}</JP06424></JPMR00014>"
                    for s, v in enumerate(vals, start=1)
                )
                out.append(f"<JPMR00013><JP06423>{d:%Y%m%d}</JP06423><JPM00014>{slots}</JPM00014></JPMR00013>\n")
            out.append("</JPM00013></JPMR00010>\n")
            w("".join(out).encode())
        w(_FOOTER)

    name = bp_filename(KINDS_BY_NAME["low_monthly_usage"], date(2024, 5, 1), section=n)
    return _zip(folder / name, body)


SHAPES = {
    s.name: s
    for s in (
        Shape("per_day_low", "low_energy_daily", "low-voltage per-day (日毎)", 4, 10_000,
              write_per_day("low"), "JPMR00011", ("JP06219",), 48),
        Shape("current_low", "low_energy_current", "low-voltage current-day (one slot per file)", 48, 10_000,
              write_current, "JPMR00010", ("JP06219",), 1),
        Shape("per_day_high", "high_energy_daily", "high-voltage per-day (日毎)", 8, 2_500,
              write_per_day("high"), "JPMR00011", ("JP06219",), 48),
        Shape("monthly_low", "low_monthly_usage", "low-voltage monthly confirmed usage (月間確定使用量)", 2, 350,
              write_monthly, "JPMR00014", ("JP06423", "JP06400"), 30 * 48),
    )
}  # fmt: skip
QUICK = {"per_day_low": (2, 500), "current_low": (6, 500), "per_day_high": (2, 200), "monthly_low": (1, 20)}
TINY = {"per_day_low": (2, 20), "current_low": (3, 20), "per_day_high": (1, 10), "monthly_low": (1, 3)}


def make_files(shape: Shape, out: Path) -> list[Path]:
    folder = out / f"{shape.name}-{shape.files}x{shape.points}-v2"  # v2: low-voltage values 0.0-3.0 kWh
    done = folder / ".complete"
    if done.exists():
        return sorted(folder.glob("*.zip"))
    shutil.rmtree(folder, ignore_errors=True)
    files = [shape.write(folder, n, shape.points) for n in range(shape.files)]
    done.touch()
    return sorted(files)


def xml_of(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(zf.infolist()[0])


# ------------------------------------------------------------------------------------------- measuring


def naive_baseline(shape: Shape, paths: list[Path]) -> int:
    """What a first script would do: iterparse, a dict per record, free what is done. Returns values seen."""
    values = 0
    tags = (shape.record_tag, *shape.context_tags)
    for path in paths:
        with zipfile.ZipFile(path) as zf, zf.open(zf.infolist()[0]) as fh:
            context: dict[str, str | None] = {}
            for _, el in etree.iterparse(fh, events=("end",), tag=tags):
                if el.tag != shape.record_tag:
                    context[el.tag] = el.text
                    continue
                record = {child.tag: child.text for child in el}
                record.update(context)
                values += 1
                el.clear()
                while el.getprevious() is not None:
                    del el.getparent()[0]
    return values


FLOOR_TRIES = 3


def floor_of(shape: Shape, path: Path) -> tuple[float, int]:
    """CPU seconds of lxml's parse into a tree plus XSD validation of one file (the best of
    :data:`FLOOR_TRIES`, so a lower floor than one try: takuso's own run is measured once), and the values
    in it."""
    from parsers.bp_xml.schema import compiled_schema

    schema = compiled_schema(KINDS_BY_NAME[shape.kind])
    data = xml_of(path)
    parser = etree.XMLParser(huge_tree=True, collect_ids=False)
    etree.fromstring(data[: 1 << 20] + b"", etree.XMLParser(recover=True))  # warm the allocator a little
    best = float("inf")
    for _ in range(FLOOR_TRIES):  # the best of three: a tree of ~100 MB of XML is at the mercy of the machine
        t = time.process_time()
        tree = etree.fromstring(data, parser)
        ok = schema.validate(tree)
        best = min(best, time.process_time() - t)
        if not ok:
            raise SystemExit(f"{path.name} does not validate: {schema.error_log}")
        del tree
    return best, shape.points * shape.values_per_point


class TreeRss:
    """Samples the resident memory of a process and all its descendants (Linux ``/proc``) every 0.1 s."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
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
                self.peak_total = max(self.peak_total, sum(rss.values()))
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_ingest(paths: list[Path], warehouse: Path) -> dict:
    """``takuso ingest`` as a child process: wall, CPU of its tree, peak RSS of its tree."""
    # no --area: files saved as served, their headers say the area (as on the inbox)
    cmd = [sys.executable, "-m", "takuso", "ingest", "--warehouse", str(warehouse), *map(str, paths)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeRss(proc.pid)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        print(out[-3000:], err[-3000:])
        raise SystemExit(f"takuso ingest failed with {proc.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    phases = {name: float(seconds) for name, seconds in PHASE.findall(out)}  # the run's own timings line
    return {"wall": wall, "cpu": cpu, "peak_rss_mb": sampler.peak_total / 2**20, "phases": phases}


PHASE = re.compile(r"(files|current state|catalog) ([0-9.]+) s")
"""A phase in the line ``takuso ingest`` prints after its table (``IngestReport.timings``)."""


LOADING_IMPORTS = (
    "import takuso.cli, takuso.commands.ingest, parsers.bp_xml.engine, parsers.bp_xml.validate, "
    "parsers.bp_xml.area, warehouse.catalog, warehouse.current, reconcile.checks; import pyarrow as pa; pa.array([0])"
)


def startup_cpu() -> float:
    """CPU seconds of a child process that starts Python and imports what a loading ingest imports."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", LOADING_IMPORTS], check=True, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


# CPU stages: (stage, [(module or class, function name)]). A function's time excludes that of the timed
# functions it calls (element_rows calls _typed and fill_down).
STAGES: list[tuple[str, list[tuple[str, str]]]] = [
    ("parse + XSD", [("parsers.bp_xml.engine", "_valid_tree"), ("parsers.bp_xml.engine", "_run"),
                     ("parsers.bp_xml.engine", "compiled_schema")]),
    ("extraction", [("parsers.bp_xml.extract", "rows_text"), ("parsers.bp_xml.extract", "element_rows"),
                    ("parsers.bp_xml.engine", "point_rows")]),
    ("conversion", [("parsers.bp_xml.extract", "typed_rows"), ("parsers.bp_xml.extract", "fill_down"),
                    ("parsers.bp_xml.extract", "_typed"),
                    ("parsers.bp_xml.engine", "w4_rows"),
                    ("parsers.bp_xml.engine:_Parse", "_observe")]),
    ("duplicate check", [("parsers.bp_xml.validate", "find_duplicates")]),
    ("Parquet", [("warehouse.store:StagedParquet", "add"), ("warehouse.store:StagedParquet", "close")]),
    ("current state", [("warehouse.current", "update_current")]),
    ("catalog", [("warehouse.catalog", "build_catalog")]),
    ("reading (hash, unzip, cut)", [("warehouse.ingest", "sha256_of"), ("parsers.bp_xml.pieces:Pieces", "__iter__")]),
]  # fmt: skip


def _timed(fn: Callable, stage: str, counted: dict[str, float], nested: list[float]) -> Callable:
    """``fn`` adding its CPU time to ``counted[stage]``, less the time of timed functions it calls
    (``nested``: the time of those calls, per timed call in progress)."""
    import functools
    import inspect

    def enter() -> float:
        nested.append(0.0)
        return time.process_time()

    def leave(t: float) -> None:
        spent = time.process_time() - t
        counted[stage] += spent - nested.pop()
        if nested:
            nested[-1] += spent

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen(*args, **kwargs):  # type: ignore[no-untyped-def]
            it = fn(*args, **kwargs)
            while True:
                t = enter()
                try:
                    item = next(it)
                except StopIteration:
                    return
                finally:
                    leave(t)
                yield item

        return gen

    @functools.wraps(fn)
    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        t = enter()
        try:
            return fn(*args, **kwargs)
        finally:
            leave(t)

    return timed


def stage_breakdown(paths: list[Path], warehouse: Path) -> tuple[dict[str, float], float]:
    """CPU seconds per stage of an ingest in this process on one thread (stage functions timed), with the
    catalog's reconciliation views as ``takuso ingest`` builds them. What a run imports is start-up, counted
    in (c') and imported here first: pandas too, which pyarrow imports on its first conversion of values."""
    import importlib

    import pandas  # noqa: F401

    import reconcile.checks  # noqa: F401
    from core.paths import WarehouseLayout
    from takuso.commands.ingest import reconciliation_views
    from warehouse.ingest import ingest
    from warehouse.runs import sources_for

    shutil.rmtree(warehouse, ignore_errors=True)
    counted: dict[str, float] = {stage: 0.0 for stage, _ in STAGES}
    nested: list[float] = []
    saved = []
    for stage, functions in STAGES:
        for where, name in functions:
            module, _, cls = where.partition(":")
            owner = importlib.import_module(module)
            owner = getattr(owner, cls) if cls else owner
            saved.append((owner, name, getattr(owner, name)))
            setattr(owner, name, _timed(getattr(owner, name), stage, counted, nested))
    try:
        t = time.process_time()
        ingest(
            sources_for(paths, None, "default"),  # as (b): the files say their area
            WarehouseLayout(warehouse),
            workers=1,
            threads=1,
            extra_views=[reconciliation_views],
        )
        total = time.process_time() - t
    finally:
        for owner, name, fn in saved:
            setattr(owner, name, fn)
    counted["other (Python glue, commit, ledger)"] = max(total - sum(counted.values()), 0.0)
    return counted, total


def parquet_bytes(warehouse: Path) -> int:
    """Bytes of the 30-minute Parquet on disk (history and current state): a file with two names (a day's
    current file hard-linked to its history file) is counted once, as the disk holds it once."""
    files = {}
    for p in (warehouse / "parquet").rglob("*.parquet"):
        if "interval" in str(p):
            stat = p.stat()
            files[(stat.st_dev, stat.st_ino)] = stat.st_size
    return sum(files.values())


def count_values(warehouse: Path) -> int:
    import duckdb

    with duckdb.connect(str(warehouse / "takuso.duckdb"), read_only=True) as con:
        [(count,)] = con.execute("SELECT count(*) FROM interval_usage_history").fetchall()
        return count


def bench_shape(shape: Shape, out: Path, profile: bool) -> dict:
    t = time.perf_counter()
    files = make_files(shape, out)
    xml_bytes = sum(zipfile.ZipFile(f).infolist()[0].file_size for f in files)
    print(f"\n== {shape.title}: {len(files)} files x {shape.points:,} points "
          f"({xml_bytes / 1e6:.0f} MB of XML, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB zipped; "
          f"ready in {time.perf_counter() - t:.1f} s)")  # fmt: skip

    c, t = time.process_time(), time.perf_counter()
    naive_values = naive_baseline(shape, files)
    naive_wall, naive_cpu = time.perf_counter() - t, time.process_time() - c

    warehouse = out / f"warehouse-{shape.name}"
    shutil.rmtree(warehouse, ignore_errors=True)
    first = run_ingest(files, warehouse)
    values = count_values(warehouse)
    again = run_ingest(files, warehouse)
    startup = startup_cpu()
    floor_cpu, floor_values = floor_of(shape, files[0])
    expected = shape.files * shape.points * shape.values_per_point
    if values != expected:
        raise SystemExit(f"{shape.name}: {values} values loaded, {expected} expected")

    ratio = (values / first["wall"]) / (naive_values / naive_wall)
    cpu_per_value = first["cpu"] / values * 1e6
    floor_per_value = floor_cpu / floor_values * 1e6
    figures = {
        "values": values,
        "xml_mb": round(xml_bytes / 1e6, 1),
        "naive_s": round(naive_wall, 2),
        "naive_cpu_s": round(naive_cpu, 2),
        "takuso_s": round(first["wall"], 2),
        "takuso_cpu_s": round(first["cpu"], 2),
        "throughput_ratio": round(ratio, 2),
        "cpu_ratio_naive_over_takuso": round(naive_cpu / first["cpu"], 2),
        "cpu_us_per_value": round(cpu_per_value, 2),
        "floor_us_per_value": round(floor_per_value, 2),
        "cpu_over_floor": round(cpu_per_value / floor_per_value, 2),
        "peak_rss_tree_mb": round(first["peak_rss_mb"], 1),
        "parquet_bytes_per_value": round(parquet_bytes(warehouse) / values, 3),
        "reingest_over_first": round(again["wall"] / first["wall"], 3),
        "reingest_cpu_s": round(again["cpu"], 2),
        "startup_cpu_s": round(startup, 2),
    }
    print(f"  (a) naive iterparse  {naive_values:>11,} records {naive_wall:7.2f} s  (CPU {naive_cpu:.2f} s)")
    print(f"  (b) takuso ingest    {values:>11,} values  {first['wall']:7.2f} s  (CPU {first['cpu']:.2f} s)"
          f"  ratio {ratio:.2f}x")  # fmt: skip
    phases = first["phases"]
    serial = first["wall"] - phases.get("files", 0.0)  # start-up, current state, catalog: mostly one core
    figures["phases_s"] = {"start-up": round(serial - sum(v for k, v in phases.items() if k != "files"), 2)} | {
        k: round(v, 2) for k, v in phases.items()
    }
    print("      wall by phase: " + ", ".join(f"{k} {v:.2f} s" for k, v in figures["phases_s"].items())
          + f"; outside the files {serial / first['wall'] * 100:.0f} % of the wall time")  # fmt: skip
    print(f"  (c) re-ingest        {again['wall']:.2f} s = {figures['reingest_over_first'] * 100:.1f} % of (b)"
          f"  (CPU {again['cpu']:.2f} s)")  # fmt: skip
    print(f"  (c') start-up (Python and a loading run's imports) CPU {startup:.2f} s = "
          f"{startup / values * 1e6:.2f} us/value")  # fmt: skip
    print(f"  (d) floor (lxml parse + XSD of one file, best of {FLOOR_TRIES}) {floor_per_value:.2f} us/value; takuso "
          f"{cpu_per_value:.2f} us/value = {figures['cpu_over_floor']:.2f}x the floor")  # fmt: skip
    print(f"      peak RSS of the process tree {first['peak_rss_mb']:.0f} MB; "
          f"Parquet {figures['parquet_bytes_per_value']} bytes/value")  # fmt: skip
    if profile:
        stages, total = stage_breakdown(files, out / f"warehouse-{shape.name}-profiled")
        print(f"  (e) CPU by stage (one thread, {total:.2f} s):")
        for stage, seconds in stages.items():
            print(f"      {stage:36} {seconds / values * 1e6:6.2f} us/value  {seconds / total * 100:5.1f} %")
        figures["stages_us_per_value"] = {k: round(v / values * 1e6, 3) for k, v in stages.items()}
    return figures


def bench_dask(shape: Shape, out: Path) -> dict:
    """The same ingest (in this process) with files prepared locally, then on a loopback Dask cluster of
    two single-threaded worker processes (``dask scheduler`` + ``dask worker --nworkers 2``)."""
    from core.paths import WarehouseLayout
    from flows.scale import dask_mapper, loopback_cluster
    from warehouse.ingest import ingest
    from warehouse.runs import sources_for

    files = make_files(shape, out)
    timings = {}
    with loopback_cluster(workers=2) as address, dask_mapper(address) as mapper:
        for name, how in (("local", None), ("dask", mapper), ("local again", None), ("dask again", mapper)):
            warehouse = out / f"warehouse-{shape.name}-{name.split()[0]}"
            shutil.rmtree(warehouse, ignore_errors=True)
            t = time.perf_counter()
            report = ingest(sources_for(files, "03", "default"), WarehouseLayout(warehouse), mapper=how)
            timings[name] = time.perf_counter() - t
            assert report.count("loaded") == len(files), report.files
            print(f"  {name:12} {timings[name]:6.2f} s")
    ratio = (timings["dask"] + timings["dask again"]) / (timings["local"] + timings["local again"])
    print(f"  Dask over local: {ratio:.2f}x (target <= 1.2)")
    return {"dask_over_local": round(ratio, 2), **{k: round(v, 2) for k, v in timings.items()}}


def compile_project() -> None:
    """The project's bytecode written first, as an installed takuso has it: (b) and (c) then time the run,
    not the compiling of its modules (which happens at every start where ``PYTHONDONTWRITEBYTECODE`` is
    set and nothing was compiled before: 0.03-0.04 s of a re-ingest's 0.17-0.28 s)."""
    import compileall

    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small files (a smoke run, figures not meaningful)")
    ap.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # for the test: correctness only
    ap.add_argument("--shape", action="append", choices=sorted(SHAPES), help="only this shape (repeatable)")
    ap.add_argument("--no-profile", action="store_true", help="skip the CPU breakdown by stage")
    ap.add_argument("--dask", action="store_true", help="also compare a loopback Dask cluster with the local pool")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args(argv)
    sizes = TINY if args.tiny else QUICK if args.quick else {}
    results = {}
    compile_project()
    print(f"{os.cpu_count()} cores; targets: ratio >= 2.0, RSS <= 600 MB, <= 2 bytes/value, re-ingest <= 5 %")
    for name in args.shape or list(SHAPES):
        shape = SHAPES[name]
        if name in sizes:
            shape = shape.scaled(*sizes[name])
        results[name] = bench_shape(shape, args.out, profile=not args.no_profile)
    print(
        "\n| shape | values | ratio | CPU us/value | floor us/value | CPU/floor | peak RSS MB | B/value | re-ingest |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, f in results.items():
        print(f"| {name} | {f['values']:,} | {f['throughput_ratio']} | {f['cpu_us_per_value']} | "
              f"{f['floor_us_per_value']} | {f['cpu_over_floor']} | {f['peak_rss_tree_mb']:.0f} | "
              f"{f['parquet_bytes_per_value']} | {f['reingest_over_first'] * 100:.1f} % |")  # fmt: skip
    if args.dask:
        name = (args.shape or ["per_day_low"])[0]
        shape = SHAPES[name].scaled(*sizes[name]) if name in sizes else SHAPES[name]
        print(f"\n== Dask on one machine, {shape.title}:")
        results["dask"] = bench_dask(shape, args.out)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
