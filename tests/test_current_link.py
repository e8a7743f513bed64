"""A day one file makes alone: its current file is a hard link to its history file (warehouse.linked)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from core.paths import WarehouseLayout
from sample_data.bp import write_area
from tests.conftest import SAMPLE_MONTH
from warehouse.catalog import build_catalog, open_catalog
from warehouse.current import INTERVAL, current_files, current_root, day_batches, rebuild_current
from warehouse.ingest import ingest
from warehouse.runs import sources_for

SEED = 4
DAY10 = SAMPLE_MONTH + timedelta(days=9)
VIEWS = ("interval_usage", "interval_usage_history", "monthly_usage")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    written = write_area(tmp_path_factory.mktemp("link") / "03", "03", SAMPLE_MONTH, seed=SEED, low_points=3)
    return {f.name: f for f in written}


def low_daily(files: dict[str, Path], day: datetime | object, revision: int = 0) -> list[Path]:
    return [files[f"W41120{day:%Y%m%d}00000{revision}0000.zip"]]


def high_daily(files: dict[str, Path], day: object) -> list[Path]:
    return [files[f"W40120{day:%Y%m%d}00000000.zip"]]


def history_files(layout: WarehouseLayout) -> list[Path]:
    return sorted((layout.datasets / "interval_preliminary").rglob("*.parquet"))


def day_folder(layout: WarehouseLayout, day: object) -> Path:
    return INTERVAL.partition_folder(current_root(layout), "03", day)


def rows(con: duckdb.DuckDBPyConnection, view: str) -> list[tuple]:
    return sorted(con.execute(f"SELECT * FROM {view}").fetchall(), key=repr)


def assert_views_equal_the_rules(layout: WarehouseLayout) -> None:
    """The stored state equals the rules over the whole history (as of now), and a rebuild of it."""
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as stored:
        before = {view: rows(stored, view) for view in VIEWS}
    with open_catalog(layout, as_of=datetime.now(UTC).replace(tzinfo=None)) as derived:
        assert {view: rows(derived, view) for view in VIEWS} == before
    rebuild_current(layout)
    build_catalog(layout)
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as rebuilt:
        assert {view: rows(rebuilt, view) for view in VIEWS} == before


def test_a_per_day_file_alone_is_its_days_current_file(files: dict[str, Path], tmp_path: Path) -> None:
    layout = WarehouseLayout(tmp_path / "wh")
    ingest(sources_for(low_daily(files, DAY10), "03", "default"), layout, workers=1)
    [history] = history_files(layout)
    [current] = current_files(layout, INTERVAL)
    assert current.parent == day_folder(layout, DAY10)
    assert os.stat(current).st_ino == os.stat(history).st_ino  # one inode, two names: no second copy
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as con:
        [(n, points)] = con.execute("SELECT count(*), count(DISTINCT supply_point_id) FROM interval_usage").fetchall()
        assert (n, points) == (48 * points, 3)
        [(same,)] = con.execute("SELECT bool_and(billable_kwh IS NOT DISTINCT FROM kwh) FROM interval_usage").fetchall()
        assert same
    rebuilt = pq.read_schema(current)
    assert_views_equal_the_rules(layout)  # the rebuild writes the day's file by the rules: the same form
    [by_rules] = current_files(layout, INTERVAL)
    assert os.stat(by_rules).st_ino != os.stat(history).st_ino
    assert [(f.name, f.type) for f in rebuilt] == [(f.name, f.type) for f in pq.read_schema(by_rules)]
    assert "billable_kwh" not in rebuilt.names  # derived when read


@pytest.mark.parametrize("limit", [2_000_000, 48 * 3])  # a day of these files: 48 slots x 3 points
def test_fresh_days_are_written_side_by_side_only_while_their_rows_fit_one_days_memory(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    import warehouse.current

    monkeypatch.setattr(warehouse.current, "WRITERS", 2)
    monkeypatch.setattr(warehouse.current, "MAX_ROWS", limit)
    at_once: list[int] = []
    real = warehouse.current.side_by_side
    monkeypatch.setattr(warehouse.current, "side_by_side", lambda jobs, *a: at_once.append(jobs) or real(jobs, *a))
    days = [DAY10 + timedelta(days=n) for n in range(3)]
    layout = WarehouseLayout(tmp_path / "wh")
    ingest(sources_for([f for day in days for f in low_daily(files, day)], "03", "default"), layout, workers=1)
    assert at_once == [3 if limit > 48 * 3 * 2 else 1]  # two days of 144 rows each exceed 144
    assert [p.parent for p in current_files(layout, INTERVAL)] == [day_folder(layout, day) for day in days]
    assert_views_equal_the_rules(layout)


def test_a_revision_replaces_a_linked_day_and_prune_keeps_its_history(files: dict[str, Path], tmp_path: Path) -> None:
    layout = WarehouseLayout(tmp_path / "wh")
    ingest(sources_for(low_daily(files, DAY10), "03", "default"), layout, workers=1)
    [history] = history_files(layout)
    [linked] = current_files(layout, INTERVAL)
    time.sleep(0.01)
    between = datetime.now(UTC).replace(tzinfo=None)
    time.sleep(0.01)
    ingest(sources_for(low_daily(files, DAY10, revision=1), "03", "default"), layout, workers=1)
    sql = (
        "SELECT supply_point_id, kwh, revision FROM interval_usage WHERE usage_date = DATE '2024-04-10' AND slot = 21 "
        "ORDER BY supply_point_id"
    )
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as now:
        latest = now.execute(sql).fetchall()
    with open_catalog(layout, as_of=between) as then:
        earlier = then.execute(sql).fetchall()
    assert len(earlier) == len(latest) == 3 and {r[2] for r in earlier} == {0}
    [(fixed, wrong, _)] = [r for r in earlier if r not in latest]  # the revision corrects one point
    assert wrong == Decimal("99.9")
    assert [r[0] for r in latest if r[2] == 1] == [fixed]
    # a third version of the day: prune removes the linked current file, two runs old, never its history
    ingest(sources_for(high_daily(files, DAY10), "03", "default"), layout, workers=1)
    assert not linked.exists()
    assert history.exists() and os.stat(history).st_nlink == 1
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as con:
        [(n,)] = con.execute(f"SELECT count(*) FROM interval_usage_history WHERE file_id = {history.stem}").fetchall()
        assert n == 3 * 48
    with open_catalog(layout, as_of=between) as then:
        assert then.execute(sql).fetchall() == earlier
    assert_views_equal_the_rules(layout)


def test_a_day_several_files_make_gets_their_rows_and_a_key_twice_takes_the_rules(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """Day 11: the high- and low-voltage files (no key twice); day 10: both revisions of the low file."""
    layout = WarehouseLayout(tmp_path / "wh")
    day11 = DAY10 + timedelta(days=1)
    both = low_daily(files, DAY10) + low_daily(files, DAY10, revision=1) + high_daily(files, day11)
    ingest(sources_for(both + low_daily(files, day11), "03", "default"), layout, workers=1)
    inodes = {os.stat(p).st_ino for p in history_files(layout)}
    linked = {p.parent: os.stat(p).st_ino in inodes for p in current_files(layout, INTERVAL)}
    assert linked == {day_folder(layout, DAY10): False, day_folder(layout, day11): False}
    with duckdb.connect(str(layout.duckdb_file), read_only=True) as con:
        sql = (
            "SELECT count(*), count(DISTINCT voltage), max(revision) FROM interval_usage GROUP BY usage_date ORDER BY 1"
        )
        assert con.execute(sql).fetchall() == [(3 * 48, 1, 1), (5 * 48, 2, 0)]
    assert_views_equal_the_rules(layout)


def test_no_hard_link_falls_back_to_a_copy(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warehouse.linked

    def refuse(source: object, target: object) -> None:
        raise OSError("hard links not supported")

    monkeypatch.setattr(warehouse.linked.os, "link", refuse)
    layout = WarehouseLayout(tmp_path / "wh")
    ingest(sources_for(low_daily(files, DAY10), "03", "default"), layout, workers=1)
    [history] = history_files(layout)
    [current] = current_files(layout, INTERVAL)
    assert os.stat(current).st_ino != os.stat(history).st_ino
    assert current.read_bytes() == history.read_bytes()
    monkeypatch.undo()
    assert_views_equal_the_rules(layout)


def test_which_days_the_runs_files_make_on_their_own() -> None:
    from warehouse.linked import MAX_ROWS, Span, fresh_days

    d10, d11 = DAY10, DAY10 + timedelta(days=1)
    a, b, c = (Span(Path(f"{n}.parquet"), "03", d10, d10, 480) for n in "abc")
    other_area = Span(Path("d.parquet"), "04", d10, d10, 480)
    month = Span(Path("w5.parquet"), "03", SAMPLE_MONTH, SAMPLE_MONTH + timedelta(days=29), 10)
    unknown = Span(Path("w5.parquet"), "03", None, None, 10)
    assert fresh_days([a, other_area], [], set()) == {("03", d10): [a.path], ("04", d10): [other_area.path]}
    assert fresh_days([a, b], [], set()) == {("03", d10): [a.path, b.path]}
    assert fresh_days([a], [month], set()) == {}  # confirmed rows of the same day
    assert fresh_days([a], [unknown], set()) == {}  # a file whose days are unknown may touch it
    assert fresh_days([a], [], {("03", d10)}) == {}  # the day has a current file already
    two_days = Span(Path("e.parquet"), "03", d10, d11, 480)
    assert fresh_days([two_days], [], set()) == {}
    assert fresh_days([a, two_days], [], set()) == {}  # the file of two days touches day 10 too
    big = Span(Path("f.parquet"), "03", d10, d10, MAX_ROWS - 479)
    assert fresh_days([a, big], [], set()) == {}  # too big to sort in memory
    assert fresh_days([c], [Span(Path("g.parquet"), "03", d11, d11, 480)], set()) == {("03", d10): [c.path]}


def test_a_file_repeating_a_key_is_no_current_file() -> None:
    import pyarrow as pa

    from warehouse.linked import current_form

    table = pa.table({"supply_point_id": ["p2", "p1", "p1"], "slot": pa.array([1, 2, 1], pa.int8())})
    per_slot = pa.table({"shown": [True] * 48, "slot_start": list(range(48))})
    schema = pa.schema([("supply_point_id", pa.string()), ("slot", pa.int8()), ("slot_start", pa.int64()),
                        ("shown", pa.bool_())])  # fmt: skip
    form = current_form([(table, per_slot)], schema, ["data_class", "supply_point_id", "slot"])
    assert form is not None and form.to_pylist() == [
        {"supply_point_id": "p1", "slot": 1, "slot_start": 0, "shown": True},
        {"supply_point_id": "p1", "slot": 2, "slot_start": 1, "shown": True},
        {"supply_point_id": "p2", "slot": 1, "slot_start": 0, "shown": True},
    ]
    twice = pa.concat_tables([table, table.slice(0, 1)])
    assert current_form([(twice, per_slot)], schema, ["data_class", "supply_point_id", "slot"]) is None


def test_a_current_state_storing_billable_kwh_is_rebuilt(files: dict[str, Path], tmp_path: Path) -> None:
    """A warehouse of layout 2, whose 30-minute current files stored ``billable_kwh``: the next run rebuilds."""
    from warehouse.current import current_is_stale

    layout = WarehouseLayout(tmp_path / "wh")
    ingest(sources_for(low_daily(files, DAY10), "03", "default"), layout, workers=1)
    assert not current_is_stale(layout)
    [current] = current_files(layout, INTERVAL)
    old = current.with_name(".old.parquet")
    duckdb.execute(f"COPY (SELECT *, kwh AS billable_kwh FROM '{current}') TO '{old}' (FORMAT parquet)")
    current.unlink()  # the history file keeps its own name
    old.rename(current)
    (current_root(layout) / "VERSION").write_text("2")
    assert current_is_stale(layout)
    ingest(sources_for(low_daily(files, DAY10 + timedelta(days=1)), "03", "default"), layout, workers=1)
    assert not current_is_stale(layout)
    for path in current_files(layout, INTERVAL):
        assert "billable_kwh" not in pq.read_schema(path).names
    assert_views_equal_the_rules(layout)


def test_days_go_to_the_rules_in_runs_of_consecutive_days_within_a_row_budget() -> None:
    d = [SAMPLE_MONTH + timedelta(days=n) for n in range(6)]
    days = [("03", d[0]), ("03", d[1]), ("03", d[2]), ("03", d[4]), ("03", d[5]), ("05", d[5])]
    rows = {("03", d[1]): 900.0}
    batches = day_batches(days, lambda day: rows.get(day, 300.0), 1000)
    # 900 does not fit beside 300: a batch of its own; a day missing (d[3]) or another area starts anew
    assert batches == [[days[0]], [days[1]], [days[2]], [days[3], days[4]], [days[5]]]
    assert day_batches(days, lambda day: 0.0, 1000) == [days[:3], days[3:5], days[5:]]
    assert day_batches([], lambda day: 0.0, 1000) == []
