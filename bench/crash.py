"""Crash consistency of ``takuso ingest``: SIGKILL at random moments, re-run, compare with a clean run.

    .venv/bin/python bench/crash.py [--trials 20] [--input DIR] [--seed N]

The input (default: sample files the generator writes for two areas, BP and CSV) is loaded in two
steps: a template warehouse holds the first half, then every trial copies the template and runs
``takuso ingest`` on the whole input in a subprocess, killing its process group with SIGKILL after a
random delay (from interpreter start-up to a little past the clean run's duration). Then:

* the catalog a reader would open right after the kill must show either the state before the run or
  the state after it, never something in between ("before" / "after"; a missing or unreadable catalog
  is "BROKEN");
* the ingest is re-run to completion; the warehouse must then equal the clean run's: row count and
  content checksum per view (``tests/corpus/digest.py``; ``ingested_files`` and ``*_at`` columns aside).

Prints a table of trials and the pass count; exit status 0 when every trial passed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.corpus.digest import view_digests  # noqa: E402

TAKUSO = [sys.executable, "-m", "takuso"]  # the CLI of this interpreter


@dataclass
class Trial:
    number: int
    kill_after_s: float
    killed: bool  # False when the run had already finished
    after_kill: str  # before / after / BROKEN
    rerun_exit: int
    equal: bool
    differing: list[str]

    @property
    def passed(self) -> bool:
        return self.after_kill in ("before", "after") and self.equal and self.rerun_exit in (0, 1)


def make_input(folder: Path, areas: tuple[str, ...] = ("01", "08"), low_points: int = 2, high_points: int = 1) -> Path:
    """Sample BP files (all ten kinds) and the three CSV forms for ``areas``, under ``folder/<area>/``."""
    from sample_data.bp import write_area
    from sample_data.csv_forms import write_csv_forms

    for area in areas:
        write_area(folder / area, area, date(2024, 4, 1), seed=7, low_points=low_points, high_points=high_points)
    csv_root = folder / "_csv"
    write_csv_forms(csv_root, areas=list(areas), billing_month=date(2024, 4, 1), seed=7, points_per_area=3)
    for csv in csv_root.rglob("*.csv"):
        area = next(a for a in areas if f"_{a}_" in csv.name)
        shutil.move(str(csv), folder / area / csv.name)
    shutil.rmtree(csv_root)
    return folder


def run_ingest(paths: list[Path], warehouse: Path, timeout: float = 600) -> int:
    """``takuso ingest`` to completion; its exit status."""
    cmd = [*TAKUSO, "ingest", *map(str, paths), "--warehouse", str(warehouse)]
    return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout).returncode


def killed_ingest(paths: list[Path], warehouse: Path, delay: float) -> float | None:
    """Start ``takuso ingest``, SIGKILL its whole process group after ``delay`` s.

    None when it was killed; its duration when it finished first.
    """
    cmd = [*TAKUSO, "ingest", *map(str, paths), "--warehouse", str(warehouse)]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        proc.wait(timeout=delay)
        return time.monotonic() - start
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None


def state_of(warehouse: Path, before: dict, after: dict) -> str:
    """What a reader opening the catalog now sees (contract views; ``ds_*`` base views read files live)."""
    try:
        digests = view_digests(warehouse / "takuso.duckdb", base_views=False)
    except Exception:  # a catalog that cannot be read is exactly what we report
        return "BROKEN"
    if digests == before:
        return "before"
    if digests == after:
        return "after"
    return "BROKEN"


def startup_seconds() -> float:
    start = time.monotonic()
    subprocess.run([*TAKUSO, "ingest", "--help"], stdout=subprocess.DEVNULL, check=True)
    return time.monotonic() - start


def crash_trials(
    input_dir: Path, work: Path, trials: int, seed: int = 0, say: Callable[[str], None] = print
) -> list[Trial]:
    """Run ``trials`` kill-and-rerun trials on ``input_dir``; ``work`` holds the warehouses."""
    rng = random.Random(seed)
    areas = sorted(p for p in input_dir.iterdir() if p.is_dir())
    files = sorted(f for a in areas for f in a.iterdir() if f.suffix in (".zip", ".xml", ".csv"))
    first_half = files[::2]

    template = work / "template"
    run_ingest(first_half, template)
    before = view_digests(template / "takuso.duckdb", base_views=False)

    clean = work / "clean"
    shutil.copytree(template, clean)
    start = time.monotonic()
    clean_exit = run_ingest(areas, clean)
    duration = time.monotonic() - start
    after = view_digests(clean / "takuso.duckdb")
    after_contract = {v: d for v, d in after.items() if not v.startswith("internal.ds_")}
    startup = startup_seconds()
    say(f"input: {len(files)} files in {len(areas)} areas; template holds {len(first_half)}")
    say(f"clean run: {duration:.2f} s (start-up {startup:.2f} s), exit {clean_exit}, {len(after)} views")

    results: list[Trial] = []
    for n in range(1, trials + 1):
        warehouse = work / f"trial{n}"
        shutil.copytree(template, warehouse)
        delay = rng.uniform(startup * 0.8, duration * 1.05)
        finished_in = killed_ingest(areas, warehouse, delay)
        killed = finished_in is None
        if finished_in is not None:  # the clean run was slower than this one: aim earlier from now on
            duration = min(duration, finished_in)
        seen = state_of(warehouse, before, after_contract)
        rerun = run_ingest(areas, warehouse)
        final = view_digests(warehouse / "takuso.duckdb")
        differing = sorted(v for v in set(final) | set(after) if final.get(v) != after.get(v))
        results.append(Trial(n, delay, killed, seen, rerun, not differing, differing))
        shutil.rmtree(warehouse)
    return results


def print_table(results: list[Trial], say: Callable[[str], None] = print) -> None:
    say(
        f"{'trial':>5}  {'kill after':>10}  {'killed':>6}  {'reader sees':>11}  {'rerun exit':>10}  {'equal':>5}  "
        "result"
    )
    for t in results:
        say(
            f"{t.number:>5}  {t.kill_after_s:>9.2f}s  {'yes' if t.killed else 'no':>6}  {t.after_kill:>11}  "
            f"{t.rerun_exit:>10}  {'yes' if t.equal else 'NO':>5}  {'pass' if t.passed else 'FAIL'}"
            + (f"  differs: {', '.join(t.differing)}" if t.differing else "")
        )
    say(f"passed {sum(t.passed for t in results)}/{len(results)} trials")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--input", type=Path, help="folder of <area>/ subfolders (default: generated samples)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="takuso-crash-"))
    try:
        input_dir = args.input or make_input(work / "input")
        results = crash_trials(input_dir, work, args.trials, args.seed)
        print_table(results)
    finally:
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if all(t.passed for t in results) else 1


if __name__ == "__main__":
    sys.exit(main())
