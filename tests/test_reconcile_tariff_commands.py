"""``takuso tariffs``, ``takuso tariffs check FILE`` and ``takuso tariffs template``."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from reconcile.tariff import load_tariffs
from reconcile.tariff_coverage import coverage, template_csv
from takuso.commands.tariffs import run_tariffs, run_tariffs_check, run_tariffs_template


def quiet() -> Console:
    return Console(record=True, width=250, file=io.StringIO())


def test_coverage_lists_each_rate_set_with_its_status_and_what_is_missing() -> None:
    console = quiet()
    assert run_tariffs(area="02", console=console) == 0
    text = console.export_text()
    assert "02-koatsu-hyojun-2025-10" in text and "secondary" in text
    assert "no time-of-use calendar" in text  # 02 高圧時間帯別: rates shipped, calendar not public
    assert "no rates at all: 02 low" in text


def test_coverage_summary_counts_the_shipped_rate_sets() -> None:
    sets = coverage(load_tariffs())
    hv = [s for s in sets if s.service_menu == "高圧標準接続送電サービス"]
    assert len(hv) == 18  # nine mainland areas × (2024-04, 2025-10)
    assert {s.layer for s in sets} == {"shipped"}


def test_check_reports_every_problem_with_line_and_rule_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    text = template_csv(load_tariffs(), "06", "high").replace("06-koatsu-hyojun,06,high", "06-koatsu-hyojun,6,high", 1)
    path.write_text(text, encoding="utf-8")
    console = quiet()
    assert run_tariffs_check(path, console=console) == 1
    assert "mine.csv:6: error TF03: unknown area_code '6'" in console.export_text()


def test_every_generated_template_passes_the_check(tmp_path: Path) -> None:
    assert run_tariffs_template(None, None, tmp_path, console=quiet()) == 0
    files = sorted(tmp_path.glob("*.csv"))
    assert len(files) == 20  # 10 areas × low and high
    console = quiet()
    assert all(run_tariffs_check(f, console=console) == 0 for f in files)
    assert "price(s) still empty" in console.export_text()


def test_filled_template_is_used_with_rate_status_user(tmp_path: Path) -> None:
    text = template_csv(load_tariffs(), "06", "high")
    lines = [
        line.replace(",kW,,,,", ",kW,663.30,2024-04-01,,").replace(",kWh,,,,", ",kWh,2.29,2024-04-01,,")
        for line in text.splitlines()
        if line.startswith(("#", "tariff_id", "06-koatsu-hyojun,"))
    ]
    path = tmp_path / "kansai.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run_tariffs_check(path, console=quiet()) == 0
    (mine,) = [s for s in coverage(load_tariffs(path)) if s.layer == "user"]
    assert (mine.tariff_id, mine.status, mine.usable) == ("06-koatsu-hyojun", "user", "yes")


def test_template_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_tariffs_template(["11"], None, tmp_path, console=quiet()) == 2
    assert run_tariffs_template(["01"], "medium", tmp_path, console=quiet()) == 2
    assert run_tariffs_template(["01", "02"], "low", None, console=quiet()) == 2


def test_the_cli_has_the_tariffs_command() -> None:
    from typer.testing import CliRunner

    from takuso.cli import app

    result = CliRunner().invoke(app, ["tariffs", "--area", "09"])
    assert result.exit_code == 0 and "09-koatsu-hyojun-2025-10" in result.output
    assert CliRunner().invoke(app, ["tariffs", "check", "/nonexistent/tariff.csv"]).exit_code == 1
