"""``takuso pull`` and ``takuso simulate``: exit codes, summary, CLI wiring (loopback only)."""

from __future__ import annotations

import io
import logging
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from rich.console import Console
from typer.testing import CliRunner

from takuso.cli import app
from takuso.commands.pull import run_pull
from takuso.commands.simulate import run_simulate
from tso.simulator import Simulator

sys.path.insert(0, str(Path(__file__).parent))
from tests.tso_fixtures import populate, toml_config


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAKUSO_LOOPBACK_ONLY", "1")
    monkeypatch.delenv("TAKUSO_WAREHOUSE", raising=False)


@pytest.fixture(scope="module")
def certs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    for area in ("03", "08"):
        populate(root, area, 2)
    return root


@pytest.fixture
def sim(root: Path, certs_dir: Path) -> Iterator[Simulator]:
    with Simulator(root, certs_dir, areas=["03", "08"]) as simulator:
        yield simulator


def console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=200, color_system=None), out


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "takuso.toml"
    path.write_text(text)
    return path


def test_pull_lands_new_files_then_nothing(sim: Simulator, tmp_path: Path) -> None:
    config = write_config(tmp_path, toml_config(sim, ["03", "08"]))
    con, out = console()
    assert run_pull(config, None, tmp_path / "wh", console=con) == 0
    assert len(list((tmp_path / "wh/raw/03/default").glob("*.zip"))) == 2
    assert len(list((tmp_path / "wh/raw/08/default").glob("*.zip"))) == 2
    assert "03 東京" in out.getvalue() and "08 四国" in out.getvalue()
    con, out = console()
    assert run_pull(config, ["03"], tmp_path / "wh", console=con) == 0
    row = next(line for line in out.getvalue().splitlines() if "03 東京" in line)
    assert re.search(r"│\s+2\s+│\s+0\s+│\s+0\s+│\s+2\s+│", row), row  # listed 2, new 0, bytes 0, already 2


def test_pull_exit_1_when_a_tso_fails_and_the_others_still_land(sim: Simulator, tmp_path: Path) -> None:
    sim.set_faults("03", error_rate=1.0)
    con, out = console()
    assert run_pull(write_config(tmp_path, toml_config(sim, ["03", "08"])), None, tmp_path / "wh", console=con) == 1
    assert len(list((tmp_path / "wh/raw/08/default").glob("*.zip"))) == 2
    assert "failed" in out.getvalue() and "503" in out.getvalue()


@pytest.mark.parametrize(
    ("areas", "text", "message"),
    [
        (None, None, "configuration file not found"),
        (["99"], "ok", "unknown area code"),
        (["01"], "ok", "no [tso"),
        (None, 'retailer_code = "9999"\n', "no enabled"),
    ],
)
def test_pull_exit_2_on_configuration_errors(
    sim: Simulator, tmp_path: Path, areas: list[str] | None, text: str | None, message: str
) -> None:
    config = tmp_path / "missing.toml"
    if text is not None:
        config = write_config(tmp_path, toml_config(sim, ["03"]) if text == "ok" else text)
    con, out = console()
    assert run_pull(config, areas, tmp_path / "wh", console=con) == 2
    assert message in out.getvalue()


def test_pull_with_pkcs12_never_logs_the_passphrase(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SIM_P12", sim.pki.client_p12_password)
    caplog.set_level(logging.DEBUG)
    sim.set_faults("03", error_first=1)  # a retry, so there is something to log
    con, out = console()
    assert run_pull(write_config(tmp_path, toml_config(sim, ["03"], pkcs12_env="SIM_P12")), None,
                    tmp_path / "wh", console=con) == 0  # fmt: skip
    assert "retry" in caplog.text
    assert sim.pki.client_p12_password not in caplog.text and sim.pki.client_p12_password not in out.getvalue()


def test_cli_pull_is_wired(sim: Simulator, tmp_path: Path) -> None:
    config = write_config(tmp_path, toml_config(sim, ["03"]))
    result = CliRunner().invoke(app, ["pull", "--config", str(config), "--area", "03", "-w", str(tmp_path / "wh")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "wh/raw/03/default").glob("*.zip"))) == 2


def test_simulate_serves_until_stopped(root: Path, certs_dir: Path) -> None:
    con, out = console()
    stop = threading.Event()
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(run_simulate(["03"], 0, root, certs_dir, stop=stop, console=con))
    )
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while "Ctrl-C" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        url = re.search(r"https://127\.0\.0\.1:\d+", out.getvalue())
        assert url, out.getvalue()
        pki_files = (certs_dir / "client.crt", certs_dir / "client.key")
        assert str(pki_files[0]) in out.getvalue()
        response = requests.get(
            f"{url.group(0)}/03/FileListReceiver",
            cert=(str(pki_files[0]), str(pki_files[1])),
            verify=str(certs_dir / "ca.crt"),
            timeout=5,
        )
        assert "rfilename2" in response.text
    finally:
        stop.set()
        thread.join(5)
    assert codes == [0]


def test_simulate_rejects_unknown_areas(certs_dir: Path) -> None:
    con, out = console()
    assert run_simulate(["42"], 0, None, certs_dir, console=con) == 2
    assert "unknown area" in out.getvalue()
