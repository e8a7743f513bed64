"""Kansai (関西電力送配電, tso-download.md §6): the list page of ``xmlDL`` anchors and the
``H24DF720A02.do`` download, against the simulator's Kansai flow on loopback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.areas import AREAS
from tso.adapters import KANSAI, KansaiAdapter
from tso.client import pull_tso
from tso.listing import parse_xmldl_links
from tso.simulator import Simulator
from tso.transport import make_session

sys.path.insert(0, str(Path(__file__).parent))
from tests.tso_fixtures import populate, sim_config

A = "W41120202404010000000000.zip"
B = "W40120202404010000000100.zip"


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAKUSO_LOOPBACK_ONLY", "1")


@pytest.fixture
def served(tmp_path: Path) -> dict[str, bytes]:
    files = populate(tmp_path / "root", "06", 3)  # low voltage, per day
    files |= populate(tmp_path / "root", "06", 2, kind="high_energy_daily")
    files |= populate(tmp_path / "root", "06", 1, kind="low_monthly_usage")
    return files


@pytest.fixture
def sim(served: dict[str, bytes], tmp_path: Path) -> Iterator[Simulator]:
    with Simulator(tmp_path / "root", tmp_path / "pki", areas=["06"]) as simulator:
        yield simulator


def test_the_list_page_gives_names_and_the_arguments_of_each_anchor() -> None:
    page = (
        f"<a href='#' onclick=\"xmlDL('0','1','2');return false;\">{A}</a>"
        f"<a href=\"javascript:xmlDL('3', '1', '1')\"> {B} </a>"
        "<a href='#' onclick=\"xmlDL('1','1','2')\">readme.txt</a>"
        "<a href='#' onclick=\"menu()\">メニュー</a>"
    )
    listing, arguments = parse_xmldl_links(page)
    assert [f.name for f in listing.files] == [A, B]
    assert listing.files[0].size is None  # the list gives no sizes
    assert arguments == {A: ("0", "1", "2"), B: ("3", "1", "1")}
    assert [name for name, _ in listing.skipped] == ["readme.txt"]


def test_the_download_repeats_the_anchor_and_the_fixed_parameters() -> None:
    adapter = KansaiAdapter("https://127.0.0.1:1/takusouinfo")
    adapter._arguments = {A: ("4", "1", "2")}
    assert adapter.file_url(A) == (
        "https://127.0.0.1:1/takusouinfo/H24DF720A02.do?selectedIndex=4&selectedList=1&koatsuTeatsuKbn=2"
        "&actionRequest=Download&odbango=H24DF720"
    )
    with pytest.raises(ValueError, match="not on the last Kansai list page"):
        adapter.file_url(B)


def test_kansai_is_the_default_adapter_of_area_06(sim: Simulator, tmp_path: Path) -> None:
    assert AREAS["06"].adapter == "kansai"
    assert sim_config(sim, ["06"], tmp_path).tsos["06"].adapter == "kansai"


def test_a_pull_walks_the_kansai_flow_and_lands_every_file(
    sim: Simulator, served: dict[str, bytes], tmp_path: Path
) -> None:
    tso = sim_config(sim, ["06"], tmp_path).tsos["06"]
    result = pull_tso(tso, tmp_path / "wh")
    assert result.ok and result.listed == len(served)
    folder = tmp_path / "wh" / "raw" / "06" / "default"
    assert {f.name: f.path.read_bytes() for f in result.new_files} == served
    assert all(f.path.parent == folder for f in result.new_files)
    pages = [(method, path.split("?")[0]) for method, path in sim.request_log]
    assert pages[:2] == [("POST", f"/06/{KANSAI.session_page}"), ("POST", f"/06/{KANSAI.list_page}")]
    assert pages.count(("GET", f"/06/{KANSAI.download_page}")) == len(served)
    again = pull_tso(tso, tmp_path / "wh")
    assert again.ok and again.new_files == [] and again.already_present == len(served)


def test_a_download_without_the_session_gets_an_error_page_not_a_file(sim: Simulator, tmp_path: Path) -> None:
    crt, key, ca = sim.client_cert_paths
    with make_session(ca_bundle=ca, client_cert=crt, client_key=key, loopback_only=True) as session:
        adapter = KansaiAdapter(sim.area_url("06"))
        listing = adapter.list_files(session, 5)
        url = adapter.file_url(listing.files[0].name)
        session.cookies.clear()
        answer = session.get(url, timeout=5)
    assert answer.status_code == 200 and answer.content.startswith(b"<!DOCTYPE html>")
    from tso.content import content_problem

    assert content_problem(listing.files[0].name, answer.content[:512]) is not None


def test_kansai_faults_are_retried_like_any_portal(sim: Simulator, tmp_path: Path) -> None:
    sim.set_faults("06", listing_error_first=1, error_first=1, error_page_first=1)
    result = pull_tso(sim_config(sim, ["06"], tmp_path).tsos["06"], tmp_path / "wh")
    assert result.ok and len(result.new_files) == 6
