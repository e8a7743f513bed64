"""The report in its three formats and the ``takuso reconcile`` command function (exit status, summary)."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from html import escape
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from reconcile import svg
from reconcile.report import write_report
from reconcile.result import ReconciliationResult, build_reconciliation
from takuso.commands.reconcile import parse_month, run_reconcile
from tests.reconcile_fixtures import demo_files
from warehouse.catalog import connect

pytestmark = pytest.mark.slow  # the module's report and CLI runs take seconds

APRIL = date(2024, 4, 1)
WORST = "01" + "0" * 16 + "0003"  # demo: monthly total 12 kWh above its values, one confirmed day lost


@pytest.fixture(scope="module")
def demo_con(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], duckdb.DuckDBPyConnection]:
    """Opens a read-only connection to the demo month's warehouse (loaded once from files)."""
    layout = demo_files(tmp_path_factory.mktemp("demo_files"), APRIL).load(tmp_path_factory.mktemp("demo_wh"))
    return lambda: connect(layout)


@pytest.fixture(scope="module")
def result(demo_con: Callable[[], duckdb.DuckDBPyConnection]) -> ReconciliationResult:
    return build_reconciliation(demo_con(), APRIL, Decimal("0.5"))


def test_largest_discrepancy_is_the_planted_one(result: ReconciliationResult) -> None:
    top = result.largest_discrepancies(1)[0]
    assert top["supply_point_id"] == WORST and "RC01" in top["flags"]
    assert result.discrepancy_count == 2


def test_html_report_is_self_contained_with_pictures(result: ReconciliationResult, tmp_path: Path) -> None:
    out = write_report(result, tmp_path / "report.html")
    html = out.read_text(encoding="utf-8")
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) >= 4  # invoiced and recomputed by area, discrepancies, daily energy, load curves, heat map
    for picture in svgs:
        ET.fromstring(picture)  # each picture is well-formed SVG
    titles = ("エリア別 請求額と再計算額", "欠測ヒートマップ", "差異の大きい供給地点", "日別電力量", "30分負荷曲線")
    for title in titles:
        assert title in html
    assert WORST in html
    assert "src=" not in html and "href=" not in html and "<link" not in html  # nothing to fetch


def test_csv_report_has_one_row_per_point_with_exact_decimals(result: ReconciliationResult, tmp_path: Path) -> None:
    out = write_report(result, tmp_path / "report.csv")
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 12
    worst = next(r for r in rows if r["supply_point_id"] == WORST)
    assert worst["flags"] == "RC01,RC02,RC03"
    assert re.fullmatch(r"\d+\.\d{6}", worst["monthly_kwh"])  # decimal text, not a float repr


def test_parquet_report_keeps_decimal_types(result: ReconciliationResult, tmp_path: Path) -> None:
    table = pq.read_table(write_report(result, tmp_path / "out" / "report.parquet"))
    assert table.num_rows == 12
    assert table.schema.field("monthly_kwh").type == pa.decimal128(18, 6)
    assert table.schema.field("total_yen").type == pa.decimal128(18, 0)


def test_unknown_report_ending_is_refused(result: ReconciliationResult, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown report format '\.xlsx'"):
        write_report(result, tmp_path / "report.xlsx")


def test_command_exits_1_over_tolerance_and_writes_the_report(tmp_path: Path, demo_con: Callable) -> None:
    console = Console(record=True, width=160)
    status = run_reconcile("2024-04", tmp_path / "r.html", demo_con, Decimal("0.5"), None, console=console)
    text = console.export_text()
    assert status == 1
    assert WORST in text and "Hokkaido" in text
    assert (tmp_path / "r.html").exists()


def test_command_exits_0_when_everything_agrees(demo_con: Callable) -> None:
    # tolerance 100 kWh: every difference of the demo month is inside it
    status = run_reconcile("2024-04", None, demo_con, Decimal("100"), None, console=Console(record=True))
    assert status == 0


def test_command_usage_errors_exit_2(tmp_path: Path, demo_con: Callable) -> None:
    quiet = Console(record=True)
    assert run_reconcile("April", None, demo_con, Decimal("0.5"), None, console=quiet) == 2
    assert run_reconcile("2024-04", tmp_path / "r.xlsx", demo_con, Decimal("0.5"), None, console=quiet) == 2
    assert run_reconcile("2024-04", None, demo_con, Decimal("0.5"), tmp_path / "none.csv", console=quiet) == 2
    assert "tariff file not found" in quiet.export_text()


def test_parse_month() -> None:
    assert parse_month("2024-04") == parse_month("202404") == parse_month("2024/4") == APRIL


def test_csv_carries_the_whole_and_split_kwh_behind_each_difference(
    result: ReconciliationResult, tmp_path: Path
) -> None:
    with write_report(result, tmp_path / "r.csv").open(encoding="utf-8-sig") as fh:
        rows = {r["supply_point_id"]: r for r in csv.DictReader(fh)}
    assert {"monthly_kwh", "monthly_kwh_whole", "split_code", "not_provided_slots", "detail"} <= set(
        next(iter(rows.values()))
    )
    assert all(r["monthly_kwh_whole"] for r in rows.values())


def test_not_computed_lines_are_grouped_by_reason_with_the_list_folded(
    result: ReconciliationResult, tmp_path: Path
) -> None:
    groups = result.not_computed_by_reason()
    assert groups and sum(g["count"] for g in groups) == sum(
        1 for s in result.charges.column("status").to_pylist() if s != "computed"
    )
    html = write_report(result, tmp_path / "r.html").read_text(encoding="utf-8")
    section = html[html.index("4. 未計算") : html.index("5. kWh")]
    assert section.count(escape(groups[0]["reason"])) == 1 + groups[0]["count"]  # once in the summary, once per line
    assert "<details>" in section


def test_the_value_axis_fits_the_data() -> None:
    assert svg.axis_range([5400.0, 5700.0])[0] > 5000  # a daily series far from zero does not start at 0
    assert svg.axis_range([0.5, 30.0])[0] == 0.0  # a series that reaches near zero does
    picture = svg.line_chart({"preliminary 速報 (long legend label)": [1.0, 2.0]}, ["a", "b"], "t", "kWh")
    width = int(re.search(r"width='(\d+)'", picture).group(1))
    x = max(float(v) for v in re.findall(r"<text x='([\d.]+)'[^>]*>preliminary", picture))
    assert x + svg.text_width("preliminary 速報 (long legend label)") <= width  # the legend is not cut


def test_a_heat_map_of_a_few_days_still_shows_its_whole_legend() -> None:
    picture = svg.heatmap(["0100000000000000000001"], ["1", "2"], [[0, 3]], "欠測 gaps", vmax=48)
    width = int(re.search(r"width='(\d+)'", picture).group(1))
    legend = re.search(r"<text x='(\d+)' y='\d+'>white = 0", picture)
    text = "white = 0 / 欠測なし; dark red = 48 missing slots / 欠測コマ"
    assert int(legend.group(1)) + svg.text_width(text) <= width
