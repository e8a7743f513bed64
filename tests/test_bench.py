"""The ingest benchmark runs end to end on tiny files of every shape (correctness only, no timing)."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_loads_every_value_of_every_shape(tmp_path: Path) -> None:
    bench = runpy.run_path(str(ROOT / "bench" / "ingest.py"), run_name="bench_ingest")
    figures = tmp_path / "figures.json"
    assert bench["main"](["--tiny", "--out", str(tmp_path), "--json", str(figures)]) == 0
    results = json.loads(figures.read_text())
    assert set(results) == {"per_day_low", "current_low", "per_day_high", "monthly_low"}
    for name, tiny in bench["TINY"].items():
        shape = bench["SHAPES"][name]
        assert results[name]["values"] == tiny[0] * tiny[1] * shape.values_per_point
        stages = results[name]["stages_us_per_value"]
        assert stages["parse + XSD"] > 0 and stages["extraction"] > 0 and stages["Parquet"] > 0
        assert results[name]["floor_us_per_value"] > 0 and results[name]["peak_rss_tree_mb"] > 0
        assert set(results[name]["phases_s"]) == {"start-up", "files", "current state", "catalog"}
