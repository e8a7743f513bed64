"""Secrets and TLS, beyond what tests/test_config.py and tests/test_tso_*.py already cover.

* server verification cannot be switched off: not in the source, not per request, not by environment
  variables, not by a configuration key;
* a PKCS#12 passphrase read from an owner-only file never appears in logs, console output, exception
  text or anything written under the warehouse, and no private key is left on disk after a pull.
"""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from rich.console import Console

from core.config import ConfigError, load_config
from takuso.commands.pull import run_pull
from tso.client import pull_all
from tso.simulator import Simulator
from tso.transport import make_session

sys.path.insert(0, str(Path(__file__).parent))
from tests.tso_fixtures import populate, sim_config, toml_config

REPO = Path(__file__).resolve().parents[1]
CLIENT_CODE = ("tso", "takuso", "flows", "warehouse", "parsers", "reconcile")
INSECURE = re.compile(
    r"verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|_create_unverified_context|disable_warnings"
    r"|PYTHONHTTPSVERIFY|trust_env\s*=\s*True"
)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAKUSO_LOOPBACK_ONLY", "1")


@pytest.fixture(scope="module")
def certs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("served")
    populate(folder, "03", 2)
    return folder


@pytest.fixture
def sim(root: Path, certs_dir: Path) -> Iterator[Simulator]:
    with Simulator(root, certs_dir, areas=["03"]) as simulator:
        yield simulator


@pytest.fixture
def untrusted(root: Path, certs_dir: Path) -> Iterator[Simulator]:
    with Simulator(root, certs_dir, areas=["03"], server_cert="untrusted") as simulator:
        yield simulator


# -- verification cannot be switched off ------------------------------------------------------------------


def test_no_verification_switch_anywhere_in_the_client_code() -> None:
    found = []
    for package in CLIENT_CODE:
        for path in (REPO / package).rglob("*.py"):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if INSECURE.search(line):
                    found.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert found == []


def test_verify_false_on_a_request_still_verifies(untrusted: Simulator) -> None:
    crt, key, ca = untrusted.client_cert_paths
    session = make_session(ca_bundle=ca, client_cert=crt, client_key=key, loopback_only=True)
    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"{untrusted.area_url('03')}/FileListReceiver", timeout=5, verify=False)
    assert untrusted.request_log == []


def test_environment_variables_cannot_disable_verification(
    untrusted: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(var, "")
    monkeypatch.setenv("PYTHONHTTPSVERIFY", "0")
    [result] = pull_all(sim_config(untrusted, ["03"], tmp_path).pull_settings(), tmp_path / "wh")
    assert not result.ok and "not trusted" in result.failures[0].message
    assert untrusted.request_log == []
    assert not list((tmp_path / "wh").rglob("*.zip"))


@pytest.mark.parametrize(
    "line",
    ["verify = false", "insecure = true", "ssl_verify = false", "tls_verify = false", "check_hostname = false"],
)
def test_a_config_key_to_disable_verification_is_rejected(sim: Simulator, tmp_path: Path, line: str) -> None:
    text = toml_config(sim, ["03"]).replace('ca_bundle = "', f'{line}\nca_bundle = "', 1)
    path = tmp_path / "takuso.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=f"key '{line.split()[0]}': unknown key"):
        load_config(path)


# -- passphrases and keys ----------------------------------------------------------------------------------


def p12_file_config(sim: Simulator, tmp_path: Path, mode: int = 0o600) -> Path:
    secret = tmp_path / "p12.pass"
    secret.write_text(sim.pki.client_p12_password + "\n", encoding="utf-8")
    secret.chmod(mode)
    text = toml_config(sim, ["03"], pkcs12_env="UNUSED").replace(
        'pkcs12_password_env = "UNUSED"', f'pkcs12_password_file = "{secret}"'
    )
    path = tmp_path / "takuso.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_pull_with_a_passphrase_file_leaves_no_secret_in_logs_output_or_artifacts(
    sim: Simulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sim.set_faults("03", error_first=1)  # a retry, so that something is logged
    out = io.StringIO()
    warehouse = tmp_path / "wh"
    code = run_pull(p12_file_config(sim, tmp_path), None, warehouse, console=Console(file=out, width=200))
    assert code == 0 and list(warehouse.rglob("*.zip"))
    secret = sim.pki.client_p12_password
    assert secret not in caplog.text and secret not in out.getvalue()
    for path in warehouse.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert secret.encode() not in data, path
            assert b"PRIVATE KEY" not in data, path


def test_a_wrong_passphrase_from_a_file_is_not_echoed(
    sim: Simulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = p12_file_config(sim, tmp_path)
    wrong = "not-" + sim.pki.client_p12_password
    (tmp_path / "p12.pass").write_text(wrong + "\n", encoding="utf-8")
    out = io.StringIO()
    assert run_pull(config, None, tmp_path / "wh", console=Console(file=out, width=200)) == 2
    assert "wrong passphrase" in " ".join(out.getvalue().split())
    assert wrong not in out.getvalue() and wrong not in caplog.text
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert wrong not in str(info.value) and info.value.__cause__ is None


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_a_passphrase_file_readable_by_others_is_refused(sim: Simulator, tmp_path: Path, mode: int) -> None:
    with pytest.raises(ConfigError, match="group or others"):
        load_config(p12_file_config(sim, tmp_path, mode))
