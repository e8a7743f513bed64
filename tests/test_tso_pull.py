"""Pulling over real mutual TLS from the loopback simulator (tso-download.md §3, §4, §5, §8, §11)."""

from __future__ import annotations

import json
import logging
import os
import ssl
import stat
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from core.config import ClientCertConfig
from tso.client import pull_all, pull_tso
from tso.landing import PART_SUFFIX
from tso.simulator import Faults, Simulator
from tso.transport import LoopbackViolation, check_loopback, make_session, make_ssl_context

sys.path.insert(0, str(Path(__file__).parent))
from tests.tso_fixtures import make_zip, populate, sim_config


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAKUSO_LOOPBACK_ONLY", "1")


@pytest.fixture(scope="module")
def certs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    for area in ("01", "03", "08"):
        populate(root, area, 3)
    return root


@pytest.fixture
def sim(root: Path, certs_dir: Path) -> Iterator[Simulator]:
    with Simulator(root, certs_dir, areas=["01", "03", "08"]) as simulator:
        yield simulator


def landed(tmp_path: Path, area: str) -> list[str]:
    folder = tmp_path / "wh" / "raw" / area / "default"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def zips(tmp_path: Path, area: str) -> list[str]:
    return [n for n in landed(tmp_path, area) if n.endswith(".zip")]


# -- the happy path -------------------------------------------------------------------------------------


def test_pull_lands_files_and_a_second_pull_downloads_nothing(sim: Simulator, root: Path, tmp_path: Path) -> None:
    config = sim_config(sim, ["03"], tmp_path)
    first = pull_all(config.pull_settings(), tmp_path / "wh")
    assert [r.ok for r in first] == [True]
    assert len(first[0].new_files) == 3
    for f in first[0].new_files:
        assert f.path.read_bytes() == (root / "03" / f.name).read_bytes()
        meta = json.loads(f.path.with_name(f.name + ".meta.json").read_text())
        assert meta["sha256"] == f.sha256 and meta["bytes"] == f.bytes == f.path.stat().st_size
        assert meta["area_code"] == "03" and meta["account"] == "default"
        assert meta["url"].startswith(sim.base_url) and "downloaded_at" in meta
    second = pull_all(config.pull_settings(), tmp_path / "wh")
    assert second[0].new_files == [] and second[0].already_present == 3
    files_before = sum(1 for line in sim.request_log if "FileReceiver?" in line[1])
    assert files_before == 3  # the second pull fetched only the listing


def test_new_files_appear_on_the_next_listing(sim: Simulator, root: Path, tmp_path: Path) -> None:
    config = sim_config(sim, ["03"], tmp_path)
    pull_all(config.pull_settings(), tmp_path / "wh")
    extra = "W41120202405010000000000.zip"
    (tmp_path / extra).write_bytes(make_zip(extra))
    sim.add_file("03", tmp_path / extra)
    result = pull_all(config.pull_settings(), tmp_path / "wh")[0]
    assert [f.name for f in result.new_files] == [extra]


def test_shikoku_html_list_flow_with_cookies(sim: Simulator, tmp_path: Path) -> None:
    result = pull_all(sim_config(sim, ["08"], tmp_path).pull_settings(), tmp_path / "wh")[0]
    assert result.ok and len(result.new_files) == 3
    log = sim.request_log
    assert ("POST", "/08/Menu1.action") in log and ("POST", "/08/30min/FileListReceiver.action") in log
    assert all("/08/30min/FileReceiver.action?file=" in p for m, p in log if m == "GET")


def test_kinds_filter_skips_other_kinds(sim: Simulator, root: Path, tmp_path: Path) -> None:
    config = sim_config(sim, ["03"], tmp_path)
    tso = replace(config.tsos["03"], kinds=("low_monthly_usage",))
    result = pull_tso(tso, tmp_path / "wh")
    assert result.new_files == [] and result.filtered == 3


@pytest.mark.parametrize("limit", [1, 2])
def test_at_most_max_connections_per_tso(limit: int, root: Path, certs_dir: Path, tmp_path: Path) -> None:
    populate(root, "03", 5)
    with Simulator(root, certs_dir, areas=["03"]) as sim:
        sim.set_faults("03", delay_s=0.05)
        config = sim_config(sim, ["03"], tmp_path)
        result = pull_tso(replace(config.tsos["03"], max_connections=limit), tmp_path / "wh")
        assert result.ok and len(result.new_files) == 5
        assert sim.max_concurrent_downloads == limit


# -- mutual TLS ------------------------------------------------------------------------------------------


def test_a_client_without_certificate_is_refused(sim: Simulator) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{sim.area_url('03')}/FileListReceiver", verify=str(sim.pki.ca_cert), timeout=5)
    assert sim.request_log == []  # refused during the TLS handshake, before any HTTP


def test_the_same_request_with_the_client_certificate_is_served(sim: Simulator) -> None:
    crt, key, ca = sim.client_cert_paths
    response = requests.get(
        f"{sim.area_url('03')}/FileListReceiver", verify=str(ca), cert=(str(crt), str(key)), timeout=5
    )
    assert response.status_code == 200 and "rfilename1" in response.text


def test_a_client_certificate_from_another_ca_is_refused(sim: Simulator, tmp_path: Path) -> None:
    session = make_session(
        ca_bundle=sim.pki.ca_cert,
        client_cert=sim.pki.untrusted_server_cert,
        client_key=sim.pki.untrusted_server_key,
        loopback_only=True,
    )
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get(f"{sim.area_url('03')}/FileListReceiver", timeout=5)


@pytest.mark.parametrize(("kind", "words"), [("expired", "has expired"), ("untrusted", "not trusted")])
def test_the_client_refuses_a_bad_server_certificate(
    kind: str, words: str, root: Path, certs_dir: Path, tmp_path: Path
) -> None:
    with Simulator(root, certs_dir, areas=["03"], server_cert=kind) as bad:
        result = pull_all(sim_config(bad, ["03"], tmp_path).pull_settings(), tmp_path / "wh")[0]
        assert bad.request_log == []  # no HTTP request got through
    assert not result.ok and zips(tmp_path, "03") == []
    assert words in result.failures[0].message
    assert "TLS certificate" in result.failures[0].message


def test_a_server_certificate_for_another_host_is_refused(root: Path, certs_dir: Path, tmp_path: Path) -> None:
    # 127.0.0.2 is loopback too, but the simulator's certificate names only localhost, 127.0.0.1 and ::1.
    with Simulator(root, certs_dir, areas=["03"], host="127.0.0.2") as other:
        result = pull_all(sim_config(other, ["03"], tmp_path).pull_settings(), tmp_path / "wh")[0]
        assert other.request_log == []
    assert not result.ok and "127.0.0.2" in result.failures[0].message
    assert "does not match the host" in result.failures[0].message


def test_the_simulator_listens_on_loopback_only(root: Path, certs_dir: Path) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Simulator(root, certs_dir, host="0.0.0.0")


def test_minimum_tls_version_is_enforced(sim: Simulator, tmp_path: Path) -> None:
    config = sim_config(sim, ["03"], tmp_path)
    assert config.tsos["03"].min_tls == "1.2"
    crt, key, ca = sim.client_cert_paths
    assert make_ssl_context(ca_bundle=ca, client_cert=crt, client_key=key).minimum_version == ssl.TLSVersion.TLSv1_2
    ctx13 = make_ssl_context(ca_bundle=ca, client_cert=crt, client_key=key, min_tls="1.3")
    assert ctx13.minimum_version == ssl.TLSVersion.TLSv1_3 and ctx13.verify_mode == ssl.CERT_REQUIRED
    result = pull_tso(replace(config.tsos["03"], min_tls="1.3"), tmp_path / "wh")
    assert result.ok  # the simulator speaks 1.2 and 1.3


def test_pkcs12_identity_and_private_temp_files(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import core.certs as certs

    seen: list[tuple[int, int, int]] = []
    original = certs.private_pem_files

    def spy(identity: certs.ClientIdentity):  # type: ignore[no-untyped-def]
        cm = original(identity)
        crt, key = cm.__enter__()
        seen.append(
            (
                stat.S_IMODE(crt.parent.stat().st_mode),
                stat.S_IMODE(crt.stat().st_mode),
                stat.S_IMODE(key.stat().st_mode),
            )
        )
        seen_paths.append(crt.parent)
        return _Wrapped(cm, (crt, key))

    seen_paths: list[Path] = []
    monkeypatch.setattr("tso.client.private_pem_files", spy)
    monkeypatch.setenv("SIM_P12_PASSWORD", sim.pki.client_p12_password)
    caplog.set_level(logging.DEBUG)
    config = sim_config(sim, ["03"], tmp_path)
    cert = ClientCertConfig(pkcs12=sim.pki.client_p12, pkcs12_password_env="SIM_P12_PASSWORD")
    result = pull_tso(replace(config.tsos["03"], client_cert=cert), tmp_path / "wh")
    assert result.ok and len(result.new_files) == 3
    assert seen == [(0o700, 0o600, 0o600)]
    assert not seen_paths[0].exists()  # deleted after use
    assert sim.pki.client_p12_password not in caplog.text


class _Wrapped:
    def __init__(self, cm: object, value: object) -> None:
        self.cm, self.value = cm, value

    def __enter__(self) -> object:
        return self.value

    def __exit__(self, *exc: object) -> None:
        self.cm.__exit__(*exc)  # type: ignore[attr-defined]


# -- faults: retried or reported, never a partial file -----------------------------------------------


def test_5xx_is_retried_then_succeeds(sim: Simulator, tmp_path: Path) -> None:
    sim.set_faults("03", error_first=2)
    result = pull_all(sim_config(sim, ["03"], tmp_path, retries=2).pull_settings(), tmp_path / "wh")[0]
    assert result.ok and len(result.new_files) == 3


def test_persistent_5xx_is_reported(sim: Simulator, tmp_path: Path) -> None:
    sim.set_faults("03", error_rate=1.0)
    result = pull_all(sim_config(sim, ["03"], tmp_path, retries=2).pull_settings(), tmp_path / "wh")[0]
    assert len(result.failures) == 3 and result.new_files == []
    assert "503" in result.failures[0].message and "after 3 attempts" in result.failures[0].message
    assert landed(tmp_path, "03") == []
    gets = [p for m, p in sim.request_log if "FileReceiver?" in p]
    assert len(gets) == 9  # 3 files x (1 + 2 retries)


def test_listing_5xx_is_retried(sim: Simulator, tmp_path: Path) -> None:
    sim.set_faults("03", listing_error_first=1)
    assert pull_all(sim_config(sim, ["03"], tmp_path).pull_settings(), tmp_path / "wh")[0].ok


def test_truncated_body_is_retried_and_never_landed(sim: Simulator, tmp_path: Path) -> None:
    sim.set_faults("03", truncate_rate=1.0)
    result = pull_all(sim_config(sim, ["03"], tmp_path, retries=1).pull_settings(), tmp_path / "wh")[0]
    assert len(result.failures) == 3
    assert "truncated" in result.failures[0].message or "connection" in result.failures[0].message
    assert landed(tmp_path, "03") == []  # no zip, no sidecar, no .part
    sim.set_faults("03", truncate_first=2)
    result = pull_all(sim_config(sim, ["03"], tmp_path, retries=1).pull_settings(), tmp_path / "wh")[0]
    assert result.ok and len(result.new_files) == 3


def test_wrong_size_in_listing_is_retried_then_reported(sim: Simulator, tmp_path: Path) -> None:
    sim.set_faults("03", wrong_size=True)
    result = pull_all(sim_config(sim, ["03"], tmp_path, retries=1).pull_settings(), tmp_path / "wh")[0]
    assert len(result.failures) == 3
    assert "the listing says" in result.failures[0].message
    assert landed(tmp_path, "03") == []


def test_a_stored_file_listed_with_another_size_is_kept_and_reported(sim: Simulator, tmp_path: Path) -> None:
    config = sim_config(sim, ["03"], tmp_path)
    pull_all(config.pull_settings(), tmp_path / "wh")
    before = {n: (tmp_path / "wh/raw/03/default" / n).read_bytes() for n in zips(tmp_path, "03")}
    sim.set_faults("03", wrong_size=True)
    result = pull_all(config.pull_settings(), tmp_path / "wh")[0]
    assert len(result.failures) == 3 and "immutable" in result.failures[0].message
    assert {n: (tmp_path / "wh/raw/03/default" / n).read_bytes() for n in zips(tmp_path, "03")} == before


def test_a_slow_server_times_out_and_is_reported(sim: Simulator, tmp_path: Path) -> None:
    sim.set_faults("03", delay_s=0.6)
    result = pull_all(sim_config(sim, ["03"], tmp_path, retries=1, timeout_s=0.2).pull_settings(), tmp_path / "wh")[0]
    assert not result.ok and "timed out" in result.failures[0].message
    assert landed(tmp_path, "03") == []


def test_one_tso_failing_does_not_stop_the_others(sim: Simulator, tmp_path: Path) -> None:
    sim.set_faults("01", error_rate=1.0)
    sim.set_faults("03", listing_error_first=99)
    results = pull_all(sim_config(sim, ["01", "03", "08"], tmp_path, retries=1).pull_settings(), tmp_path / "wh")
    by_area = {r.area_code: r for r in results}
    assert [r.area_code for r in results] == ["01", "03", "08"]
    assert not by_area["01"].ok and not by_area["03"].ok
    assert by_area["08"].ok and len(by_area["08"].new_files) == 3
    assert "listing" in by_area["03"].failures[0].message


def test_no_part_files_are_left_behind(sim: Simulator, tmp_path: Path) -> None:
    sim.set_faults("03", Faults(truncate_first=1, error_first=1))
    pull_all(sim_config(sim, ["03"], tmp_path).pull_settings(), tmp_path / "wh")
    folder = tmp_path / "wh/raw/03/default"
    assert not [p for p in os.listdir(folder) if p.endswith(PART_SUFFIX)]


# -- the loopback guard ----------------------------------------------------------------------------------


def test_loopback_guard_refuses_other_hosts() -> None:
    check_loopback("https://127.0.0.1:1/x")
    check_loopback("https://[::1]:1/x")
    with pytest.raises(LoopbackViolation):
        check_loopback("https://192.0.2.1/FileListReceiver")  # TEST-NET-1, never contacted


def test_a_config_pointing_elsewhere_is_refused_in_loopback_mode(sim: Simulator, tmp_path: Path) -> None:
    config = sim_config(sim, ["03"], tmp_path)
    tso = replace(config.tsos["03"], base_url="https://192.0.2.1:8443", retries=0)
    result = pull_tso(tso, tmp_path / "wh", loopback_only=True)
    assert not result.ok and "loopback-only mode" in result.failures[0].message
