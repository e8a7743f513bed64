"""A hostile or broken portal, against the loopback simulator: a trickling answer is abandoned at its
deadline, an error page answered with 200 is not a file, a listing too big for memory is refused, a
killed pull's temporary files are cleared, and TLS refusals say what happened and what to check.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from core.config import ClientCertConfig
from tso.adapters import GenericAdapter, HtmlListAdapter
from tso.client import pull_all, pull_tso
from tso.landing import PART_SUFFIX
from tso.listing import ListingError
from tso.simulator import Simulator
from tso.transport import make_session

sys.path.insert(0, str(Path(__file__).parent))
from tests.tso_fixtures import populate, sim_config

AREAS = ["01", "03", "08"]


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAKUSO_LOOPBACK_ONLY", "1")


@pytest.fixture(scope="module")
def certs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    for area in AREAS:
        populate(root, area, 3)
    return root


@pytest.fixture
def sim(root: Path, certs_dir: Path) -> Iterator[Simulator]:
    with Simulator(root, certs_dir, areas=AREAS) as simulator:
        yield simulator


def stored(tmp_path: Path, area: str) -> list[str]:
    folder = tmp_path / "wh" / "raw" / area / "default"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- deadlines -----------------------------------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.slow  # waits for a deadline
def test_a_trickling_file_is_abandoned_at_its_deadline_retried_and_the_tso_reported(
    sim: Simulator, tmp_path: Path
) -> None:
    # Each file answer sends one byte every 0.5 s: some 100 s for a file, never a read timeout (5 s).
    sim.set_faults("03", trickle_rate=1.0, trickle_interval_s=0.5)
    config = sim_config(sim, ["03", "08"], tmp_path, retries=1)
    config = replace(config, tsos={k: replace(t, file_deadline_s=0.5) for k, t in config.tsos.items()})
    by_area = {r.area_code: r for r in pull_all(config.pull_settings(), tmp_path / "wh")}
    trickled = by_area["03"]
    assert not trickled.ok and len(trickled.failures) == 3
    assert all(
        "file_deadline_s = 0.5 s" in f.message and "gave up after 2 attempts" in f.message for f in trickled.failures
    )
    assert all(f.transient for f in trickled.failures)  # the nightly flow pulls the TSO again
    assert stored(tmp_path, "03") == []  # nothing half-received was landed
    assert by_area["08"].ok and len(by_area["08"].new_files) == 3  # the others go on


@pytest.mark.timeout(60)
def test_a_file_that_trickles_once_is_fetched_on_the_retry(sim: Simulator, tmp_path: Path) -> None:
    sim.set_faults("03", trickle_first=1, trickle_interval_s=0.5)
    result = pull_tso(replace(sim_config(sim, ["03"], tmp_path).tsos["03"], file_deadline_s=0.5), tmp_path / "wh")
    assert result.ok and len(result.new_files) == 3


@pytest.mark.timeout(60)
@pytest.mark.slow  # waits for a deadline
def test_the_tso_deadline_stops_its_whole_pull(sim: Simulator, tmp_path: Path) -> None:
    sim.set_faults("03", trickle_rate=1.0, trickle_interval_s=0.5)
    tso = replace(sim_config(sim, ["03"], tmp_path).tsos["03"], max_connections=1, retries=3, tso_deadline_s=1.0)
    result = pull_tso(tso, tmp_path / "wh")
    assert len(result.failures) == 1 and not result.failures[0].transient
    message = result.failures[0].message
    assert "tso_deadline_s = 1 s" in message and "3 file(s) not downloaded" in message
    assert stored(tmp_path, "03") == []


@pytest.mark.timeout(60)
@pytest.mark.slow  # waits for a deadline
def test_a_trickling_listing_is_abandoned_and_the_others_go_on(sim: Simulator, tmp_path: Path) -> None:
    sim.set_faults("03", listing_trickle_first=99, trickle_interval_s=0.5)
    config = sim_config(sim, ["01", "03"], tmp_path, retries=1)
    config = replace(config, tsos={k: replace(t, file_deadline_s=0.5) for k, t in config.tsos.items()})
    by_area = {r.area_code: r for r in pull_all(config.pull_settings(), tmp_path / "wh")}
    failure = by_area["03"].failures[0]
    assert "the listing did not arrive within file_deadline_s = 0.5 s" in failure.message and failure.transient
    assert by_area["01"].ok and len(by_area["01"].new_files) == 3


def test_deadlines_are_configured_per_tso(tmp_path: Path) -> None:
    from core.config import TsoConfig, parse_config

    table = {"base_url": "https://127.0.0.1:1", "cert_pem": "c.pem", "key_pem": "k.pem"}
    config = parse_config({"retailer_code": "9999", "tso": {"03": {**table, "file_deadline_s": 90}}}, tmp_path / "t")
    assert config.tsos["03"].file_deadline_s == 90 and config.tsos["03"].tso_deadline_s == TsoConfig.tso_deadline_s


# -- what arrives ----------------------------------------------------------------------------------------


def test_an_error_page_answered_with_200_is_a_failed_download_not_a_file(sim: Simulator, tmp_path: Path) -> None:
    # html_list (Shikoku): the listing gives no sizes, so only the content can tell.
    sim.set_faults("08", error_page_rate=1.0)
    result = pull_tso(sim_config(sim, ["08"], tmp_path, retries=1).tsos["08"], tmp_path / "wh")
    assert len(result.failures) == 3 and stored(tmp_path, "08") == []
    assert "not a ZIP archive" in result.failures[0].message and "<!DOCTYPE html>" in result.failures[0].message
    sim.set_faults("08")
    again = pull_tso(sim_config(sim, ["08"], tmp_path).tsos["08"], tmp_path / "wh")
    assert again.ok and len(again.new_files) == 3  # fetched once the portal answers properly


def test_an_error_page_once_is_retried(sim: Simulator, tmp_path: Path) -> None:
    sim.set_faults("08", error_page_first=1)
    result = pull_tso(sim_config(sim, ["08"], tmp_path).tsos["08"], tmp_path / "wh")
    assert result.ok and len(result.new_files) == 3
    assert all(f.path.read_bytes().startswith(b"PK\x03\x04") for f in result.new_files)


@pytest.mark.parametrize(
    ("name", "head", "ok"),
    [
        ("W41120202404010000000000.xml", b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?><SBD-MSG>', True),
        ("W41120202404010000000000.xml", b"\n<SBD-MSG xmlns='urn:x'>", True),
        ("W41120202404010000000000.xml", b"<html><body>error</body></html>", False),
        ("form1_03_202404.csv", "供給地点特定番号,日付\n".encode("cp932"), True),
        ("form1_03_202404.csv", b"<!DOCTYPE html>", False),
        ("W41120202404010000000000.zip", b"", False),
    ],
)
def test_what_each_kind_of_file_must_start_with(name: str, head: bytes, ok: bool) -> None:
    from tso.content import content_problem

    assert (content_problem(name, head) is None) is ok


# -- listings and leftovers ------------------------------------------------------------------------------


@pytest.mark.parametrize("adapter", [GenericAdapter, HtmlListAdapter])
def test_a_listing_longer_than_the_cap_is_refused(adapter: type, sim: Simulator, tmp_path: Path) -> None:
    area = "08" if adapter is HtmlListAdapter else "03"
    crt, key, ca = sim.client_cert_paths
    with make_session(ca_bundle=ca, client_cert=crt, client_key=key, loopback_only=True) as session:
        assert len(adapter(sim.area_url(area)).list_files(session, 5).files) == 3
        with pytest.raises(ListingError, match="read into memory"):
            adapter(sim.area_url(area), max_listing_bytes=100).list_files(session, 5)


def test_part_files_left_by_a_killed_pull_are_removed(sim: Simulator, tmp_path: Path) -> None:
    folder = tmp_path / "wh" / "raw" / "03" / "default"
    folder.mkdir(parents=True)
    stale = folder / f".W41120202404010000000000.zip.k1ll3d{PART_SUFFIX}"
    live = folder / f".W41120202404020000000000.zip.wr1t1ng{PART_SUFFIX}"
    for path in (stale, live):
        path.write_bytes(b"PK\x03\x04 half")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    tso = replace(sim_config(sim, ["03"], tmp_path).tsos["03"], file_deadline_s=600)
    assert pull_tso(tso, tmp_path / "wh").ok
    assert not stale.exists()
    assert live.exists()  # written to a moment ago: maybe another pull's download in progress


# -- TLS refusals ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_a_refused_client_certificate_is_named(version: str, root: Path, certs_dir: Path, tmp_path: Path) -> None:
    with Simulator(root, certs_dir, areas=["03"], tls=(version, version)) as strict:
        pki = strict.pki
        other_ca = ClientCertConfig(cert_pem=pki.untrusted_server_cert, key_pem=pki.untrusted_server_key)
        tso = replace(sim_config(strict, ["03"], tmp_path).tsos["03"], client_cert=other_ca)
        result = pull_tso(tso, tmp_path / "wh")
        assert strict.request_log == []
    message = result.failures[0].message
    assert "refused takuso's client certificate with TLS alert 'unknown ca'" in message
    assert "rogue CA (untrusted)" in message  # the issuer of the certificate that was sent
    assert "CN=localhost" in message and "valid until" in message and str(pki.untrusted_server_cert) in message
    assert "registered for your OCCTO account" in message
    assert not result.failures[0].transient


@pytest.mark.parametrize("min_tls", ["1.2", "1.0"])
def test_a_tls_1_0_only_server_says_what_min_tls_can_and_cannot_do(
    min_tls: str, root: Path, certs_dir: Path, tmp_path: Path
) -> None:
    with Simulator(root, certs_dir, areas=["03"], tls=("1.0", "1.0")) as old:
        tso = replace(sim_config(old, ["03"], tmp_path).tsos["03"], min_tls=min_tls)
        result = pull_tso(tso, tmp_path / "wh")
    message = result.failures[0].message
    assert "agree on no TLS version" in message and 'min_tls = "1.0"' in message
    assert "cannot make this machine's OpenSSL accept them" in message
