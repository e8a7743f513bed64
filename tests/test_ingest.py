"""Loading BP files into the warehouse: exact values, revisions, idempotence, rejection, NULLs, variants."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.kinds import KINDS_BY_NAME
from core.paths import WarehouseLayout
from parsers.bp_xml.engine import Sink, parse_bp_file
from parsers.bp_xml.filename import bp_filename, parse_bp_filename
from sample_data.bp import Point, Scenario, Style, build_scenario, write_area, write_energy_daily
from tests.conftest import SAMPLE_MONTH, write_xml, xml_of
from warehouse.catalog import connect_personal
from warehouse.ingest import ingest
from warehouse.runs import sources_for

pytestmark = pytest.mark.slow  # the module's warehouse (one area, every kind) takes seconds to load

SEED = 1


@pytest.fixture(scope="module")
def area03(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Scenario]:
    root = tmp_path_factory.mktemp("bp03")
    write_area(root / "03", "03", SAMPLE_MONTH, seed=SEED, low_points=4, high_points=1)
    return root / "03", build_scenario("03", SAMPLE_MONTH, SEED, 4, 1)


@pytest.fixture(scope="module")
def loaded(area03: tuple[Path, Scenario], tmp_path_factory: pytest.TempPathFactory) -> WarehouseLayout:
    layout = WarehouseLayout(tmp_path_factory.mktemp("wh"))
    phases: list[str] = []
    report = ingest(
        sources_for(sorted(area03[0].glob("*.zip")), None, "default"), layout, workers=1, on_phase=phases.append
    )
    assert report.count("rejected") == 0 and report.count("loaded") == len(report.files)
    # the run says what it does after the files, and how long each phase took
    assert phases == ["current state", "catalog"]
    assert list(report.seconds) == ["files", "current state", "catalog"] and all(report.seconds.values())
    assert report.timings().startswith("files ") and " · catalog " in report.timings()
    return layout


def q(layout: WarehouseLayout, sql: str) -> list[tuple]:
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as con:
        return con.execute(sql).fetchall()


def data_snapshot(layout: WarehouseLayout) -> str:
    """A digest of every data view's content, sorted (not ingested_files, which records the attempt)."""
    views = ("interval_usage", "interval_usage_history", "monthly_usage", "meter_exchanges", "adhoc_readings")
    h = hashlib.sha256()
    for v in views:
        for row in sorted(q(layout, f"SELECT * EXCLUDE (loaded_at) FROM {v}"), key=repr):
            h.update(repr(row).encode())
    return h.hexdigest()


def test_confirmed_values_round_trip_exactly(loaded: WarehouseLayout, area03: tuple[Path, Scenario]) -> None:
    sc = area03[1]
    for p in sc.points:
        if not p.provided:
            continue
        expected = sum((sum(sc.confirmed[(p.id, d)]) for d in sc.days()), Decimal(0))
        [(total, n)] = q(
            loaded,
            f"SELECT sum(kwh), count(*) FROM interval_usage WHERE data_class = 'confirmed' "
            f"AND supply_point_id = '{p.id}'",
        )
        assert (total, n) == (expected, 48 * 30)  # one row per slot, whatever the split code
        [(monthly,)] = q(loaded, f"SELECT monthly_kwh FROM monthly_usage WHERE supply_point_id = '{p.id}'")
        assert monthly == expected  # Σ of the confirmed 30-minute values equals the monthly total


def test_split_point_shows_its_partial_record_once_history_keeps_both(
    loaded: WarehouseLayout, area03: tuple[Path, Scenario]
) -> None:
    split = next(p for p in area03[1].points if p.split)
    rows = q(
        loaded,
        f"SELECT split_code, sum(kwh), sum(kwh_split), sum(billable_kwh), count(*) FROM interval_usage_history "
        f"WHERE supply_point_id = '{split.id}' AND data_class = 'confirmed' GROUP BY 1 ORDER BY 1",
    )
    assert [r[0] for r in rows] == ["1", "2"]
    assert rows[0][1] == rows[1][1]  # both records carry the whole value
    assert rows[1][3] == rows[1][2] != rows[1][1]  # billable = after split for code '2'
    shown = q(
        loaded,
        f"SELECT split_code, sum(kwh), sum(kwh_split), sum(billable_kwh), count(*) FROM interval_usage "
        f"WHERE supply_point_id = '{split.id}' AND data_class = 'confirmed' GROUP BY 1",
    )
    assert shown == [rows[1]]  # one row per slot: the '2' record, holding both values
    [(code, m, billable)] = q(
        loaded,
        f"SELECT split_code, monthly_kwh_split, billable_kwh FROM monthly_usage WHERE supply_point_id = '{split.id}'",
    )
    assert (code, m, billable) == ("2", rows[1][2], rows[1][2])
    [(records,)] = q(loaded, f"SELECT count(*) FROM monthly_usage_history WHERE supply_point_id = '{split.id}'")
    assert records == 2


def test_not_provided_values_are_null_never_zero(loaded: WarehouseLayout, area03: tuple[Path, Scenario]) -> None:
    absent = next(p for p in area03[1].points if not p.provided)
    [(kwh, avail)] = q(
        loaded, f"SELECT monthly_kwh, availability_code FROM monthly_usage WHERE supply_point_id = '{absent.id}'"
    )
    assert kwh is None and avail == "1"
    # revision 00 of day 10 said 'not provided' for one slot; history keeps it as NULL with its code
    day10 = SAMPLE_MONTH + timedelta(days=9)
    rows = q(
        loaded,
        f"SELECT kwh, availability_code FROM interval_usage_history WHERE revision = 0 AND usage_date = '{day10}' "
        "AND slot = 22 AND availability_code = '1'",
    )
    assert rows == [(None, "1")]


def test_later_revision_replaces_only_its_points_and_history_keeps_both(
    loaded: WarehouseLayout, area03: tuple[Path, Scenario]
) -> None:
    sc = area03[1]
    day10 = SAMPLE_MONTH + timedelta(days=9)
    fixed = sc.points[-1]
    [(kwh, rev)] = q(
        loaded,
        f"SELECT kwh, revision FROM interval_usage WHERE supply_point_id = '{fixed.id}' AND usage_date = '{day10}' "
        "AND slot = 21 AND data_class = 'preliminary'",
    )
    assert (kwh, rev) == (sc.confirmed[(fixed.id, day10)][20], 1)
    history = q(
        loaded,
        f"SELECT revision, kwh FROM interval_usage_history WHERE supply_point_id = '{fixed.id}' "
        f"AND usage_date = '{day10}' AND slot = 21 AND data_class = 'preliminary' ORDER BY revision",
    )
    assert history == [(0, Decimal("99.9")), (1, kwh)]
    other = next(p for p in sc.points if p.voltage == "low" and p.id != fixed.id)
    revs = q(
        loaded,
        f"SELECT DISTINCT revision FROM interval_usage WHERE supply_point_id = '{other.id}' AND usage_date = '{day10}' "
        "AND data_class = 'preliminary'",
    )
    assert revs == [(0,)]  # a point the revision does not carry keeps its revision-00 values


def test_per_day_file_beats_current_day_file(loaded: WarehouseLayout, area03: tuple[Path, Scenario]) -> None:
    last = area03[1].period_end
    kinds = q(
        loaded,
        f"SELECT DISTINCT message_kind FROM interval_usage WHERE usage_date = '{last}' AND slot IN (1, 2) "
        "AND data_class = 'preliminary'",
    )
    assert sorted(k for (k,) in kinds) == ["high_energy_daily", "low_energy_daily"]
    [(n,)] = q(loaded, "SELECT count(*) FROM interval_usage_history WHERE message_kind LIKE '%current'")
    assert n > 0


def test_re_ingest_changes_nothing(loaded: WarehouseLayout, area03: tuple[Path, Scenario]) -> None:
    before = sorted(p.relative_to(loaded.root) for p in loaded.root.rglob("*") if p.is_file())
    catalog = loaded.duckdb_file.read_bytes()
    report = ingest(sources_for(sorted(area03[0].glob("*.zip")), None, "default"), loaded, workers=1)
    assert report.count("skipped") == len(report.files) > 0
    assert report.timings() == ""  # nothing was loaded, so no phase ran
    after = sorted(p.relative_to(loaded.root) for p in loaded.root.rglob("*") if p.is_file())
    assert before == after and loaded.duckdb_file.read_bytes() == catalog


def test_rejected_file_changes_no_data_and_is_quarantined_while_others_load(
    area03: tuple[Path, Scenario], tmp_path: Path
) -> None:
    layout = WarehouseLayout(tmp_path / "wh")
    files = sorted(area03[0].glob("W41120*.zip"))
    ingest(sources_for(files[:5], "03", "default"), layout, workers=1)
    before = data_snapshot(layout)
    name = files[6].name
    bad = write_xml(tmp_path / "in", name, xml_of(files[6]).replace(b"<JP06219>48</JP06219>", b"<JP06219>49</JP06219>"))
    report = ingest(sources_for([bad], "03", "default"), layout, workers=1)
    assert report.exit_code == 1 and report.files[0].status == "rejected"
    assert data_snapshot(layout) == before
    quarantined = layout.quarantine / "03" / bad.name
    assert quarantined.read_bytes() == bad.read_bytes()
    reason = (layout.quarantine / "03" / f"{bad.name}.reason.txt").read_text(encoding="utf-8")
    assert "slot (JP06219) value '49'" in reason
    [(status, error)] = q(layout, f"SELECT status, error FROM ingested_files WHERE file_name = '{bad.name}'")
    assert status == "rejected" and "BP004" in error
    # the same batch with a good file: the good one loads, the bad one is refused again
    report = ingest(sources_for([bad, files[7]], "03", "default"), layout, workers=1)
    assert [f.status for f in report.files] == ["rejected", "loaded"]


def test_raw_landing_zone_keeps_inputs_byte_for_byte(loaded: WarehouseLayout, area03: tuple[Path, Scenario]) -> None:
    for src in sorted(area03[0].glob("*.zip"))[:5]:
        assert (loaded.raw / "03" / "default" / src.name).read_bytes() == src.read_bytes()


def test_same_name_with_other_content_is_refused(area03: tuple[Path, Scenario], tmp_path: Path) -> None:
    layout = WarehouseLayout(tmp_path / "wh")
    src = sorted(area03[0].glob("W41120*.zip"))[0]
    ingest(sources_for([src], "03", "default"), layout, workers=1)
    other = tmp_path / "other" / src.name
    other.parent.mkdir()
    shutil.copy(sorted(area03[0].glob("W41120*.zip"))[1], other)
    report = ingest(sources_for([other], "03", "default"), layout, workers=1)
    assert report.files[0].status == "rejected" and "already loaded with other content" in report.files[0].message


@pytest.mark.parametrize("area", ["01", "05", "06", "09"])
def test_encoding_namespace_padding_and_order_variants_load(area: str, tmp_path: Path) -> None:
    write_area(tmp_path / area, area, SAMPLE_MONTH, seed=SEED, low_points=2, high_points=1)
    layout = WarehouseLayout(tmp_path / "wh")
    monthly = [f for f in sorted((tmp_path / area).glob("*.zip")) if f.name.startswith("W5122")]
    daily = sorted((tmp_path / area).glob("W41120*.zip"))[:2]
    report = ingest(sources_for(monthly + daily, None, "default"), layout, workers=1)
    assert report.count("loaded") == 3, report.files
    sc = build_scenario(area, SAMPLE_MONTH, SEED, 2, 1)
    with connect_personal(layout) as con:
        names = dict(con.execute("SELECT supply_point_id, customer_name FROM supply_point_customers").fetchall())
    for p in sc.points:
        if p.voltage == "low":
            assert names[p.id] == p.name  # Japanese text (髙 and other CP932 characters) decoded exactly
    [(encoding, namespace)] = q(layout, "SELECT DISTINCT xml_encoding, coalesce(xml_namespace, '') FROM ingested_files")
    assert encoding == ("Shift_JIS" if int(area) % 2 == 0 else "UTF-8")
    assert bool(namespace) == (int(area) % 3 == 0)


class _Collect(Sink):
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def interval(self, table) -> None:  # type: ignore[no-untyped-def]
        self.rows.extend(table.to_pylist())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    grid=st.lists(
        st.lists(st.one_of(st.none(), st.decimals(min_value=0, max_value=99999, places=3)), min_size=48, max_size=48),
        min_size=1,
        max_size=3,
    ),
    encoding=st.sampled_from(["UTF-8", "Shift_JIS"]),
    namespace=st.sampled_from([None, "urn:example:ns"]),
    pad=st.booleans(),
    value_first=st.booleans(),
)
def test_generated_documents_parse_back_to_the_generated_values(
    tmp_path: Path, grid: list[list[Decimal | None]], encoding: str, namespace: str | None, pad: bool, value_first: bool
) -> None:
    day = date(2024, 4, 3)
    points = [Point(f"03{i:020d}", "low", f"C{i}", "髙橋 花子", "東京都", Decimal(1)) for i in range(len(grid))]
    sc = Scenario("03", day, day, points)
    style = Style(encoding, namespace, pad, value_first)
    path = (
        tmp_path
        / f"{encoding}-{namespace is None}-{pad}-{value_first}"
        / bp_filename(KINDS_BY_NAME["low_energy_daily"], day)
    )
    write_energy_daily(path, sc, "low", day, {p.id: row for p, row in zip(points, grid, strict=True)}, style)
    sink = _Collect()
    outcome = parse_bp_file(path, parse_bp_filename(path.name), area_code="03", sink=sink)
    assert outcome.errors == []
    got = {(r["supply_point_id"], r["slot"]): r["kwh"] for r in sink.rows}
    want = {(p.id, s + 1): v for p, row in zip(points, grid, strict=True) for s, v in enumerate(row)}
    assert got == want


def test_files_cut_into_pieces_load_exactly_what_they_load_in_one_streaming_pass(
    area03: tuple[Path, Scenario], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import parsers.bp_xml.engine as engine
    import parsers.bp_xml.pieces as pieces

    files = [f for f in sorted(area03[0].glob("*.zip")) if f.name.startswith(("W41120", "W40120", "W51220"))][:6]
    files += [f for f in sorted(area03[0].glob("*.zip")) if f.name.startswith(("W41110", "W51210"))][:2]
    monkeypatch.setattr(pieces, "MAX_RECORD_BYTES", 0)  # no file can be cut: all in one streaming pass
    whole = WarehouseLayout(tmp_path / "whole")
    ingest(sources_for(files, "03", "default"), whole, workers=1)
    monkeypatch.undo()
    monkeypatch.setattr(pieces, "PIECE_BYTES", 1)  # a piece per record
    cut = []
    real = engine._piece_rows
    monkeypatch.setattr(engine, "_piece_rows", lambda *a: cut.append(1) or real(*a))
    split = WarehouseLayout(tmp_path / "split")
    report = ingest(sources_for(files, "03", "default"), split, workers=2)
    assert report.count("loaded") == len(files) and len(cut) > 3 * len(files)
    assert data_snapshot(split) == data_snapshot(whole)
    files_sql = "SELECT * EXCLUDE (ingested_at, run_id, raw_path) FROM ingested_files ORDER BY file_name"
    assert q(split, files_sql) == q(whole, files_sql)  # the same warnings, header items, encodings, rows


def test_a_bad_piece_makes_the_whole_file_validated_in_one_streaming_pass(
    area03: tuple[Path, Scenario], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import parsers.bp_xml.pieces as pieces

    monkeypatch.setattr(pieces, "PIECE_BYTES", 2_000)
    src = sorted(area03[0].glob("W41120*.zip"))[3]
    bad = write_xml(tmp_path / "in", src.name, xml_of(src).replace(b"<JP06219>48</JP06219>", b"<JP06219>49</JP06219>"))
    layout = WarehouseLayout(tmp_path / "wh")
    report = ingest(sources_for([bad], "03", "default"), layout, workers=2)
    assert report.files[0].status == "rejected"
    # the line number is the file's own, not the piece's: the whole file was validated again
    assert f"{bad.name}:290" in report.files[0].message or "line" not in report.files[0].message
    assert "slot (JP06219) value '49'" in report.files[0].message


def test_an_internal_error_rejects_only_that_file(area03: tuple[Path, Scenario], tmp_path: Path, monkeypatch) -> None:
    import warehouse.ingest as ingest_module

    files = sorted(area03[0].glob("W41120*.zip"))[:2]
    real = ingest_module._prepare

    def flaky(prep, *args):  # type: ignore[no-untyped-def]
        if prep.file_name == files[0].name:
            raise RuntimeError("simulated bug")
        return real(prep, *args)

    monkeypatch.setattr(ingest_module, "_prepare", flaky)
    report = ingest(sources_for(files, "03", "default"), WarehouseLayout(tmp_path / "wh"), workers=1)
    assert [f.status for f in report.files] == ["rejected", "loaded"]
    assert "BP099" in report.files[0].message and "simulated bug" in report.files[0].message


def test_a_rerun_after_a_killed_run_shows_rows_once(
    area03: tuple[Path, Scenario], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warehouse.ingest as ingest_module

    src = sorted(area03[0].glob("W41120*.zip"))[0]
    clean = WarehouseLayout(tmp_path / "clean")
    ingest(sources_for([src], "03", "default"), clean, workers=1)
    layout = WarehouseLayout(tmp_path / "wh")
    # a killed run published the file but never committed
    monkeypatch.setattr(ingest_module, "commit_run", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        ingest(sources_for([src], "03", "default"), layout, workers=2)
    monkeypatch.undo()
    ingest(sources_for([src], "03", "default"), layout, workers=1)  # the re-run
    assert data_snapshot(layout) == data_snapshot(clean)


def test_internal_datasets_show_only_committed_files_and_stale_builds_are_removed(
    area03: tuple[Path, Scenario], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warehouse.ingest as ingest_module
    from warehouse.catalog import build_catalog

    layout = WarehouseLayout(tmp_path / "wh")
    files = sorted(area03[0].glob("W41120*.zip"))
    ingest(sources_for(files[:1], "03", "default"), layout, workers=1)
    [(before,)] = q(layout, "SELECT count(*) FROM internal.ds_interval_preliminary")
    monkeypatch.setattr(ingest_module, "commit_run", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):  # a run killed after publishing, before its commit marker
        ingest(sources_for(files[1:3], "03", "default"), layout, workers=1)
    stale = layout.root / ".takuso.duckdb.999999999.tmp"  # a build whose process is gone
    stale.write_bytes(b"half")
    build_catalog(layout)
    assert q(layout, "SELECT count(*) FROM internal.ds_interval_preliminary") == [(before,)]
    assert not stale.exists()


def test_personal_data_is_only_in_the_owner_readable_catalog(loaded: WarehouseLayout) -> None:
    personal = ("customer_id", "customer_name", "supply_address")
    leaked = q(loaded, f"SELECT table_name, column_name FROM duckdb_columns() WHERE column_name IN {personal}")
    assert leaked == []  # the analysts' catalog has no column of personal data, not even in ds_points
    assert loaded.personal_duckdb_file.stat().st_mode & 0o777 == 0o600
    with connect_personal(loaded) as con:
        [(n, named)] = con.execute("SELECT count(*), count(customer_name) FROM supply_point_customers").fetchall()
    assert n > 0 and named == n
