"""The nightly run's steps as plain functions, without Prefect: what gets ingested, where inbox files go,
which failures are retried, exit codes, the run's plan and the served schedule."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.config import Config, ConfigError, ReconcileConfig, ScheduleConfig
from core.paths import WarehouseLayout
from flows import steps
from flows.plan import plan_run
from flows.scale import task_runner_name
from tso.client import Failure, TsoResult
from warehouse.runs import FileReport, IngestReport, Source

CONFIG = Config(retailer_code="9999")


def test_only_failures_that_outlasted_the_client_retries_are_transient():
    result = TsoResult(
        "03",
        "default",
        failures=[
            Failure("HTTP 503 Service Unavailable (gave up after 3 attempts)", "W4.zip", transient=True),
            Failure("the server's TLS certificate is not trusted; the connection was refused"),
            Failure("HTTP 404 Not Found from https://127.0.0.1/03/FileReceiver", "W5.zip"),
        ],
    )
    assert [f.name for f in steps.transient_failures(result)] == ["W4.zip"]


def test_inbox_area_comes_from_the_path_inside_the_inbox(tmp_path: Path):
    inbox = tmp_path / "03" / "inbox"  # the inbox's own location must not decide the area
    (inbox / "08").mkdir(parents=True)
    (inbox / "08" / "W401202024040100000000.zip").write_bytes(b"x")
    (inbox / "curtailment_discounts_05_202404.csv").write_text("x")
    (inbox / "notes.txt").write_text("ignored")
    (inbox / ".hidden.csv").write_text("ignored")
    got = {s.path.name: s.area_code for s in steps.inbox_sources(inbox, CONFIG)}
    assert got == {"W401202024040100000000.zip": "08", "curtailment_discounts_05_202404.csv": "05"}


def test_pending_raw_files_skip_sidecars_hidden_and_unknown_folders(tmp_path: Path):
    layout = WarehouseLayout(tmp_path)
    folder = layout.raw_dir("03", "default")
    folder.mkdir(parents=True)
    (folder / "W401202024040100000000.zip").write_bytes(b"x")
    (folder / "W401202024040100000000.zip.meta.json").write_text('{"downloaded_at": "2024-04-02T03:00:00+00:00"}')
    (folder / ".W4.zip.abc.part").write_bytes(b"x")
    (layout.raw_dir("unknown", "default")).mkdir(parents=True)
    (layout.raw_dir("unknown", "default") / "x.zip").write_bytes(b"x")
    sources = steps.pending_raw_sources(layout)
    assert [(s.path.name, s.area_code, s.account) for s in sources] == [("W401202024040100000000.zip", "03", "default")]
    assert sources[0].downloaded_at is not None and sources[0].downloaded_at.hour == 3


def test_inbox_file_moves_into_raw_and_a_name_clash_keeps_raw_immutable(tmp_path: Path):
    layout = WarehouseLayout(tmp_path)
    inbox = layout.inbox
    inbox.mkdir(parents=True)
    fresh = inbox / "a_03_202404.csv"
    fresh.write_text("new")
    target = steps.file_inbox_source(layout, Source(fresh, "03"))
    assert target == layout.raw_dir("03", "default") / "a_03_202404.csv" and target.read_text() == "new"
    assert not fresh.exists()
    clash = inbox / "a_03_202404.csv"
    clash.write_text("other bytes")
    moved = steps.file_inbox_source(layout, Source(clash, "03"))
    assert target.read_text() == "new"  # raw keeps its file
    assert moved.parent.name == steps.CONFLICTS_DIR and moved.read_text() == "other bytes"
    assert not clash.exists()


def _report(*statuses: str) -> IngestReport:
    report = IngestReport("run-1")
    report.files = [
        FileReport(f"f{i}.zip", "03", "kind", s, 10 if s == "loaded" else 0) for i, s in enumerate(statuses)
    ]
    return report


@pytest.mark.parametrize(
    ("statuses", "failures", "expected"),
    [
        (("loaded", "skipped"), [], 0),
        (("loaded", "rejected"), [], 1),
        (("loaded",), [Failure("listing failed")], 1),
    ],
)
def test_exit_status_follows_the_contract(statuses, failures, expected, tmp_path: Path):
    pulls = [TsoResult("03", "default", failures=failures)]
    outcome = steps.IngestOutcome(_report(*statuses))
    result = steps.summarize(date(2024, 5, 1), WarehouseLayout(tmp_path), pulls, outcome)
    assert result.exit_code == expected
    assert result.totals.rows == 10 * statuses.count("loaded")


def test_configuration_error_is_exit_2(tmp_path: Path):
    assert steps.NightlyResult(date(2024, 5, 1), tmp_path, error="bad").exit_code == 2
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        plan_run(config=CONFIG, warehouse=tmp_path, run_date="2024/05/01")
    with pytest.raises(ValueError, match="unknown task runner"):
        task_runner_name("spark")


def test_plan_uses_the_configured_inbox_and_the_schedule_time_zone(tmp_path: Path):
    cfg = Config(retailer_code="9999", inbox=tmp_path / "hand", schedule=ScheduleConfig(timezone="Asia/Tokyo"))
    plan = plan_run(config=cfg, warehouse=tmp_path / "wh")
    assert plan.inbox == tmp_path / "hand"
    assert plan.layout.root == tmp_path / "wh"
    assert plan.run_date == steps.today_in("Asia/Tokyo")
    assert plan_run(config=CONFIG, warehouse=tmp_path).inbox == WarehouseLayout(tmp_path).inbox


@pytest.mark.slow  # imports Prefect
def test_served_deployment_runs_at_three_tokyo_time_by_default(tmp_path: Path):
    from takuso.commands.serve import deployment_options

    cfg = Config(retailer_code="9999", source=tmp_path / "takuso.toml", reconcile=ReconcileConfig())
    options = deployment_options(cfg, None, tmp_path / "wh", "local", None)
    schedule = options["schedules"][0]
    assert (schedule.cron, schedule.timezone) == ("0 3 * * *", "Asia/Tokyo")
    assert options["parameters"]["config_path"] == str((tmp_path / "takuso.toml").resolve())
    assert options["global_limit"] == 1


def test_no_months_means_no_reconciliation(tmp_path: Path):
    outcome = steps.reconcile_months(WarehouseLayout(tmp_path), [], "0.5")
    assert outcome.status == "nothing to do"
