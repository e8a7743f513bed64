"""Bad and hostile files (tests/corpus): refused with their rule id, quarantined, and nothing of them loaded.

Every corpus file is ingested in one batch together with good files. Each bad file must be rejected with
the rule id its manifest names, be quarantined byte for byte with a reason file, and leave the data views
as a run of the good files alone leaves them; the good files of the same batch load.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from core.paths import WarehouseLayout
from sample_data.bp import write_area
from tests.corpus.digest import data_digest
from warehouse.ingest import ingest
from warehouse.runs import IngestReport, Source, sources_for

pytestmark = pytest.mark.slow  # one batch over the whole corpus

CORPUS = Path(__file__).parent / "corpus"
CSV_SAMPLES = Path(__file__).resolve().parents[1] / "sample_data" / "small" / "csv" / "02"
HUGE_NAME = "W41120202404020000990000.xml"


@dataclass(frozen=True)
class Case:
    file: str
    area: str
    rule: str
    why: str

    @property
    def path(self) -> Path:
        return CORPUS / "files" / self.file


CASES = [Case(**c) for c in tomllib.loads((CORPUS / "MANIFEST.toml").read_text(encoding="utf-8"))["case"]]


def huge_text_node(folder: Path) -> Path:
    """A per-day file whose customer name is an 11 MB text node (generated here, never committed)."""
    text = (CORPUS / "files" / "W41120202404020000560000.xml").read_text(encoding="utf-8")
    path = folder / HUGE_NAME
    path.write_text(re.sub(r"<JP06120>[^<]*</JP06120>", "<JP06120>" + "x" * (11 << 20) + "</JP06120>", text, count=1))
    return path


@dataclass
class Runs:
    before: str  # digest after the preload
    after: str  # digest after the batch of bad and good files
    clean: str  # digest of a warehouse given the same good files and no bad ones
    report: IngestReport
    layout: WarehouseLayout
    good: list[Path]
    huge: Path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    tmp = tmp_path_factory.mktemp("corpus")
    write_area(tmp / "01", "01", date(2024, 4, 1), seed=3, low_points=2, high_points=1)
    bp = tmp / "01"
    preload = [bp / "W41120202404010000000000.zip", bp / "W51310202404150000000.zip"]
    good = [
        bp / "W41120202404020000000000.zip",
        bp / "W401202024040300000000.zip",
        bp / "W51220202405010000000.zip",
        CSV_SAMPLES / "contract_demand_breakdown_02_202510.csv",
        CSV_SAMPLES / "generator_allocated_energy_02_202510.csv",
    ]
    good_sources = [Source(p, "02" if p.suffix == ".csv" else "01") for p in good]
    huge = huge_text_node(tmp)
    bad_sources = [Source(c.path, c.area) for c in CASES] + [Source(huge, "01")]

    clean = WarehouseLayout(tmp / "clean")
    ingest(sources_for(preload, "01", "default"), clean, workers=1)
    ingest(good_sources, clean, workers=1)

    layout = WarehouseLayout(tmp / "wh")
    ingest(sources_for(preload, "01", "default"), layout, workers=1)
    before = data_digest(layout.duckdb_file)
    batch = bad_sources[: len(bad_sources) // 2] + good_sources + bad_sources[len(bad_sources) // 2 :]
    report = ingest(batch, layout, workers=1)
    return Runs(before, data_digest(layout.duckdb_file), data_digest(clean.duckdb_file), report, layout, good, huge)


def test_the_corpus_is_big_and_every_file_is_small() -> None:
    assert len(CASES) >= 30
    assert len({c.file for c in CASES}) == len(CASES)
    for case in CASES:
        assert case.path.stat().st_size < 64 << 10, case.file
        assert re.fullmatch(r"(BP|CSV)0\d\d", case.rule), case.rule


def test_the_manifest_covers_the_hostile_classes() -> None:
    rules = {c.rule for c in CASES}
    for rule in ("BP001", "BP002", "BP003", "BP004", "BP005", "BP006", "BP007", "BP009", "BP010", "BP011", "BP013"):
        assert rule in rules, rule
    assert any(c.rule.startswith("CSV") for c in CASES)
    whys = " ".join(c.why for c in CASES).lower()
    for topic in ("xxe", "billion laughs", "zip bomb", "../", "absolute", "two xml entries", "not a zip", "empty",
                  "truncated", "utf-8", "slot 0", "slot 49", "supply point id", "duplicate", "nan", "missing",
                  "quote"):  # fmt: skip
        assert topic in whys, topic


def test_the_batch_completes_with_a_report_for_every_file(runs: Runs) -> None:
    names = [f.file_name for f in runs.report.files]
    assert sorted(names) == sorted([c.file for c in CASES] + [p.name for p in runs.good] + [HUGE_NAME])
    assert runs.report.exit_code == 1


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_bad_file_is_refused_with_its_rule_and_quarantined(runs: Runs, case: Case) -> None:
    [fr] = [f for f in runs.report.files if f.file_name == case.file]
    assert fr.status == "rejected", f"{case.file} ({case.why}) was {fr.status}"
    assert case.rule in fr.message, f"{case.file} ({case.why}): expected {case.rule}, got:\n{fr.message}"
    assert fr.rows == 0
    quarantined = runs.layout.quarantine / case.area / case.file
    assert quarantined.read_bytes() == case.path.read_bytes()
    reason = (runs.layout.quarantine / case.area / f"{case.file}.reason.txt").read_text(encoding="utf-8")
    assert case.rule in reason


def test_a_text_node_over_10_mb_is_refused_as_too_large(runs: Runs) -> None:
    [fr] = [f for f in runs.report.files if f.file_name == HUGE_NAME]
    assert fr.status == "rejected" and "BP008" in fr.message
    assert (runs.layout.quarantine / "01" / f"{HUGE_NAME}.reason.txt").exists()


def test_the_good_files_of_the_batch_load(runs: Runs) -> None:
    for path in runs.good:
        [fr] = [f for f in runs.report.files if f.file_name == path.name]
        assert fr.status == "loaded" and fr.rows > 0, (path.name, fr.message)


def test_bad_files_change_no_data_view(runs: Runs) -> None:
    assert runs.before != runs.after  # the good files did load
    assert runs.after == runs.clean  # ... and the bad ones added nothing


def test_nothing_is_staged_or_extracted_beside_the_warehouse(runs: Runs) -> None:
    leftovers = [p for p in runs.layout.root.rglob("*") if p.is_file() and (".tmp" in p.name or ".part" in p.name)]
    assert leftovers == []
    assert not (runs.layout.root / "_staging").exists() or not any((runs.layout.root / "_staging").iterdir())
    # the ZIP-slip entries were never written anywhere under their own names
    assert not any(p.name == "W41120202404020000000000.xml" for p in runs.layout.root.rglob("*"))
