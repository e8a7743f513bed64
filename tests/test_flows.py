"""The nightly flow end to end against the loopback TSO simulators (tso-download.md §11), under Prefect's
test harness: every area loads, a failing TSO does not stop the others, a second night adds nothing,
inbox files end up in the raw landing zone, tag limits exist, and the Dask runner loads the same rows.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")  # before Prefect is imported: no telemetry from tests
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from core.config import Config, demo_config
from core.paths import WarehouseLayout
from sample_data.bp import write_area
from sample_data.csv_forms import write_csv_forms
from tso.simulator import Simulator

MONTH = date(2024, 4, 1)
AREAS = ["03", "06", "08"]  # a generic portal, the Kansai flow and the Shikoku (html_list) flow
FAILING = "05"
FAST: dict[str, Any] = {"retries": 1, "backoff_s": 0.01, "timeout_s": 5.0}

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]  # one shared nightly run


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("served")
    for area in AREAS:
        write_area(root / area, area, MONTH, seed=3, low_points=2, high_points=1)
    (root / FAILING).mkdir()
    return root


@pytest.fixture(scope="module")
def sim(served: Path, tmp_path_factory: pytest.TempPathFactory):
    with Simulator(served, tmp_path_factory.mktemp("certs"), areas=[*AREAS, FAILING]) as simulator:
        yield simulator


def config_for(sim: Simulator, areas: list[str], warehouse: Path) -> Config:
    crt, key, ca = sim.client_cert_paths
    return demo_config(
        sim.base_url, client_cert=crt, client_key=key, ca_bundle=ca, areas=areas, warehouse=warehouse, **FAST
    )


def run_night_state(config: Config | None, warehouse: Path, **kwargs):
    """The night's result and its final Prefect state."""
    from flows.nightly import run_nightly

    return run_nightly(config=config, warehouse=str(warehouse), retry_delay_s=0.05, show_summary=False, **kwargs)


def run_night(config: Config, warehouse: Path, **kwargs):
    return run_night_state(config, warehouse, **kwargs)[0]


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(WarehouseLayout(warehouse).duckdb_file), read_only=True) as con:
        return con.execute(sql).fetchall()


def rows_per_area(warehouse: Path) -> dict[str, int]:
    return dict(query(warehouse, "SELECT area_code, count(*) FROM interval_usage GROUP BY 1"))


@pytest.fixture(scope="module")
def first_night(prefect_harness, sim: Simulator, tmp_path_factory: pytest.TempPathFactory):
    """One night on a fresh warehouse, with the CSV forms of area 03 dropped into the inbox."""
    warehouse = tmp_path_factory.mktemp("wh")
    inbox = WarehouseLayout(warehouse).inbox
    forms = write_csv_forms(inbox, areas=["03"], billing_month=MONTH, seed=3)
    night = run_night_state(config_for(sim, AREAS, warehouse), warehouse)
    return warehouse, night, forms


# ------------------------------------------------------------------------------------------ end to end


def test_nightly_run_loads_every_area(first_night):
    warehouse, (result, state), _ = first_night
    assert result.exit_code == 0, result.areas
    assert state.is_completed()
    loaded = dict(query(warehouse, "SELECT area_code, count(*) FROM ingested_files WHERE status = 'loaded' GROUP BY 1"))
    assert set(loaded) == set(AREAS)
    assert set(rows_per_area(warehouse)) == set(AREAS)
    assert all(a.downloaded > 0 and not a.failures for a in result.areas)
    assert result.months == [MONTH]


def test_inbox_files_are_ingested_and_moved_into_raw(first_night):
    warehouse, (result, _), forms = first_night
    layout = WarehouseLayout(warehouse)
    assert not list(layout.inbox.rglob("*.csv"))
    for form in forms:
        assert (layout.raw_dir("03", "default") / form.name).read_bytes()
    forms_loaded = query(warehouse, "SELECT count(*) FROM ingested_files WHERE file_name LIKE '%.csv'")
    assert forms_loaded == [(len(forms),)]
    assert result.inbox_files == len(forms)


def test_second_night_downloads_and_adds_nothing(first_night, sim: Simulator):
    warehouse, _, _ = first_night
    before = query(warehouse, "SELECT count(*), sum(rows) FROM ingested_files")
    result = run_night(config_for(sim, AREAS, warehouse), warehouse)
    assert result.exit_code == 0
    assert result.totals.downloaded == 0 and result.totals.files == 0
    assert query(warehouse, "SELECT count(*), sum(rows) FROM ingested_files") == before


def test_tso_tag_concurrency_limits_exist_after_a_run(first_night):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        for area in AREAS:
            assert client.read_concurrency_limit_by_tag(f"tso-{area}").concurrency_limit == 1


def test_one_failing_tso_does_not_stop_the_others_and_exits_1(prefect_harness, sim: Simulator, tmp_path: Path):
    sim.set_faults(FAILING, listing_error_first=1000)  # 503 on every listing: transient, retried, then given up
    try:
        result, state = run_night_state(config_for(sim, ["03", FAILING], tmp_path), tmp_path)
    finally:
        sim.set_faults(FAILING)
    assert result.exit_code == 1
    assert state.is_failed() and f"1 TSO(s) failed ({FAILING})" in state.message
    by_area = {a.area_code: a for a in result.areas}
    assert by_area["03"].loaded > 0 and not by_area["03"].failures
    assert by_area[FAILING].failures and "gave up after" in by_area[FAILING].failures[0]
    assert set(rows_per_area(tmp_path)) == {"03"}
    listings = [p for m, p in sim.request_log if p.startswith(f"/{FAILING}/FileListReceiver")]
    assert len(listings) >= 2 * (FAST["retries"] + 1)  # the Prefect task was retried as a whole


def test_rejected_inbox_file_is_quarantined_moved_and_exits_1(prefect_harness, sim: Simulator, tmp_path: Path):
    layout = WarehouseLayout(tmp_path)
    bad = layout.inbox / "03" / "generator_allocated_energy_03_202404.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text("not,a,form\n1,2,3\n", encoding="utf-8")
    result, state = run_night_state(config_for(sim, [], tmp_path), tmp_path)
    assert result.exit_code == 1
    assert state.is_failed() and "1 file(s) rejected" in state.message
    assert not bad.exists()
    assert (layout.raw_dir("03", "default") / bad.name).exists()
    assert (layout.quarantine / "03" / bad.name).exists()


def test_configuration_error_exits_2(prefect_harness, tmp_path: Path):
    from takuso.commands.run import run_run

    assert run_run(tmp_path / "missing.toml", warehouse=tmp_path) == 2


def test_a_configuration_error_inside_the_flow_ends_it_failed(prefect_harness, tmp_path: Path):
    """As a scheduled run of ``serve`` meets it: the flow reads a missing takuso.toml."""
    result, state = run_night_state(None, tmp_path, config_path=str(tmp_path / "missing.toml"))
    assert result.exit_code == 2
    assert state.is_failed() and "configuration error" in state.message and "missing.toml" in state.message


def _takuso(args: list[str], tmp_path: Path, **env: str):
    import subprocess
    import sys

    environment = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), **env}
    environment.pop("PREFECT_API_URL", None)
    return subprocess.run(
        [sys.executable, "-c", "from takuso.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=300,
    )


def test_a_missing_configuration_is_reported_before_prefect_starts(tmp_path: Path):
    done = _takuso(["run", "--config", str(tmp_path / "missing.toml")], tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "configuration file not found" in output
    assert "Flow run" not in output and "Prefect" not in output and not (tmp_path / "prefect-home").exists()


def test_prefect_is_given_time_to_start_its_local_server(tmp_path: Path):
    import subprocess
    import sys

    code = (
        "from flows.prefect_home import STARTUP_TIMEOUT_S, prefect_defaults\n"
        "prefect_defaults()\n"
        "from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as S\n"
        "print(S.value(), STARTUP_TIMEOUT_S)\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True)
    seen, ours = out.stdout.split()
    assert int(seen) == int(ours) > 20  # Prefect's own default is 20 s


def test_when_prefect_does_not_start_the_message_says_what_to_do(tmp_path: Path):
    toml = tmp_path / "takuso.toml"
    toml.write_text('retailer_code = "9999"\nloopback_only = true\n', encoding="utf-8")
    # A wait of 0 s: Prefect gives up before its server can answer, as a too-short wait would on a busy machine.
    done = _takuso(
        ["run", "--config", str(toml), "--warehouse", str(tmp_path / "wh")],
        tmp_path,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="0",
    )
    output = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, output
    assert "starting Prefect's local API server" in output
    assert "did not start within 0 s" in output and "What to do" in output and "PREFECT_API_URL" in output
    assert "Traceback" not in output


# ---------------------------------------------------------------------------------------------- Dask


def test_dask_task_runner_loads_the_same_rows(first_night, served: Path, tmp_path: Path, monkeypatch):
    """A slice of area 03's files, dropped into the inbox, prepared on a 2-worker local Dask cluster."""
    import shutil

    from flows import plan

    original = plan.plan_run

    def local_cluster(**kwargs):  # an in-process LocalCluster keeps the test fast
        return original(**{**kwargs, "dask_workers": 2, "dask_processes": False})

    monkeypatch.setattr("flows.nightly.plan_run", local_cluster)
    inbox = WarehouseLayout(tmp_path).inbox / "03"
    inbox.mkdir(parents=True)
    names = sorted(p.name for p in (served / "03").iterdir())[::6]
    for name in names:
        shutil.copyfile(served / "03" / name, inbox / name)
    inbox_only = Config(retailer_code="9999", loopback_only=True)  # no TSO: the inbox only
    result = run_night(inbox_only, tmp_path, task_runner="dask")
    assert result.exit_code == 0 and result.totals.loaded == len(names)
    reference, _, _ = first_night
    listed = ", ".join(f"'{n}'" for n in names)
    sql = f"SELECT file_name, status, rows FROM ingested_files WHERE area_code = '03' AND file_name IN ({listed})"
    assert sorted(query(tmp_path, sql)) == sorted(query(reference, sql))
    total = (
        f"SELECT count(*), sum(kwh) FROM interval_usage_history WHERE area_code = '03' AND source_file IN ({listed})"
    )
    assert query(tmp_path, total) == query(reference, total)


def test_dask_workers_in_their_own_processes_load_the_same_rows(first_night, served: Path, tmp_path: Path):
    """``dask scheduler`` and ``dask worker --nworkers 2`` as separate processes on loopback: the same rows
    load, and the workers run plain functions (no Prefect, so no Prefect API server of their own)."""
    import shutil

    from distributed import Client

    from flows.scale import loopback_cluster

    inbox = WarehouseLayout(tmp_path).inbox / "03"
    inbox.mkdir(parents=True)
    names = sorted(p.name for p in (served / "03").iterdir())[1::5]
    for name in names:
        shutil.copyfile(served / "03" / name, inbox / name)
    inbox_only = Config(retailer_code="9999", loopback_only=True)
    with loopback_cluster(workers=2) as address:
        result = run_night(inbox_only, tmp_path, task_runner="dask", dask_address=address)
        with Client(address, set_as_default=False) as client:
            prefect_loaded = client.run(eval, "'prefect' in __import__('sys').modules")
            pids = client.run(os.getpid)
        assert [_children(pid) for pid in pids.values()] == [[], []]  # no server process of their own
    assert result.exit_code == 0 and result.totals.loaded == len(names)
    assert list(prefect_loaded.values()) == [False, False]
    reference, _, _ = first_night
    listed = ", ".join(f"'{n}'" for n in names)
    total = (
        f"SELECT count(*), sum(kwh) FROM interval_usage_history WHERE area_code = '03' AND source_file IN ({listed})"
    )
    assert query(tmp_path, total) == query(reference, total)


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        try:
            if (
                entry.isdigit()
                and Path(f"/proc/{entry}/stat").read_bytes().rsplit(b")", 1)[1].split()[1] == b"%d" % pid
            ):
                out.append(int(entry))
        except (OSError, IndexError):
            continue
    return out
